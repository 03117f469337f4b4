package io.github.outboundrelay.common.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The renderer whose CPU was cut (7bit bodies written straight into the message's bytes, the Date formatted once
 * per second, header lines folded without a String each) writes byte for byte what it wrote before
 * ({@link ReferenceRenderer}, the code as it was), over thousands of random messages and bodies made to sit on the
 * 7bit rules' edges.
 */
class RendererRegressionTest {
    private static final long SEED = 20261203_1540L;
    /** Pieces for bodies on the edges of 7bit: '?' beside characters one byte cannot hold, every line end, long lines. */
    private static final String[] EDGE_PIECES = {
            "?", "??", "a?b", "\u0100", "\u00FF", "\u007F", "\u0080", "\uFFFD", "\uD83C", "\uDF89", "\uD83C\uDF89", "é",
            "\t", "\u0001", "\u001F", " ", "\r\n", "\n", "\r", "\n\r", "\r\r\n", ".", "=", "--=_relay_", "text",
            "x".repeat(997), "x".repeat(998), "y".repeat(999), "word ",
    };

    @Test
    void randomMessagesRenderAsBefore() {
        RandomMessages messages = new RandomMessages(SEED);
        Random random = new Random(SEED);
        for (int i = 0; i < 4000; i++) {
            OutboundMessage message = messages.next();
            Instant date = Instant.ofEpochSecond(1_700_000_000L + random.nextInt(200_000_000), random.nextInt(1_000_000_000));
            assertSameRendering(message, message.from(), message.replyTo(), date, "random message " + i);
        }
    }

    @Test
    void bodiesOnTheEdgesOfSevenBitRenderAsBefore() {
        Random random = new Random(SEED + 1);
        Instant date = Instant.parse("2026-12-03T15:40:00Z");
        MailAddress from = new MailAddress("from@example.com", "Jenkins");
        for (int i = 0; i < 6000; i++) {
            OutboundMessage.Builder b = OutboundMessage.builder().from(from).to("to@example.com").subject("s " + i);
            switch (random.nextInt(3)) {
                case 0 -> b.text(edgeBody(random));
                case 1 -> b.html(edgeBody(random));
                default -> b.text(edgeBody(random)).html(edgeBody(random));
            }
            assertSameRendering(b.build(), from, null, date.plusMillis(random.nextInt(5000)), "edge body " + i);
        }
    }

    /**
     * A 7bit body is copied in runs between its line ends when they are all LF or all CRLF, and character by
     * character when they are mixed: bodies of each kind, lines on the 998 edge, with and without a last line end.
     */
    @Test
    void sevenBitBodiesOfEachKindOfLineEndRenderAsBefore() {
        Random random = new Random(SEED + 3);
        Instant date = Instant.parse("2026-12-03T17:50:00Z");
        MailAddress from = new MailAddress("from@example.com", "Jenkins");
        String[][] lineEnds = {{"\n"}, {"\r\n"}, {"\r"}, {"\n", "\r\n"}, {"\n", "\r\n", "\r"}};
        String[] lines = {"", ".", "..", "a line", "\tindented", ". dot first", "x".repeat(998), "y".repeat(999), "z".repeat(997)};
        for (int i = 0; i < 3000; i++) {
            String[] ends = lineEnds[i % lineEnds.length];
            StringBuilder body = new StringBuilder();
            int count = random.nextInt(6);
            for (int l = 0; l < count; l++) {
                body.append(lines[random.nextInt(lines.length)]).append(ends[random.nextInt(ends.length)]);
            }
            if (random.nextBoolean()) {
                body.append(lines[random.nextInt(lines.length)]); // no line end after the last line
            }
            OutboundMessage.Builder b = OutboundMessage.builder().from(from).to("to@example.com").subject("ends " + i);
            if (random.nextBoolean()) {
                b.text(body.toString());
            } else {
                b.text("text").html(body.toString());
            }
            assertSameRendering(b.build(), from, null, date, "line ends " + String.join("+", ends).replace("\r", "CR")
                    .replace("\n", "LF") + " in body " + i);
        }
    }

    @Test
    void theDateOfEverySecondIsFormattedAsBefore() {
        Random random = new Random(SEED + 2);
        OutboundMessage message = OutboundMessage.builder().from("from@example.com").to("to@example.com")
                .subject("date").text("body").build();
        for (int i = 0; i < 3000; i++) {
            // Runs of mails in one second, then a jump: the cached second must never stand for another.
            Instant date = Instant.ofEpochSecond(random.nextInt(3) == 0 ? 4_102_444_799L - random.nextInt(3)
                    : random.nextLong(0, 4_102_444_800L), random.nextInt(1_000_000_000));
            assertSameRendering(message, message.from(), null, date, "date " + date);
        }
    }

    private static String edgeBody(Random random) {
        StringBuilder body = new StringBuilder();
        int pieces = random.nextInt(12);
        for (int p = 0; p < pieces; p++) {
            // Mostly 7bit pieces, so that many bodies stay 7bit and a single odd piece decides.
            String piece = EDGE_PIECES[random.nextInt(EDGE_PIECES.length)];
            body.append(random.nextInt(4) == 0 ? piece : piece.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? piece : "ok");
        }
        return body.toString();
    }

    private static void assertSameRendering(OutboundMessage message, MailAddress from, MailAddress replyTo,
                                            Instant date, String what) {
        byte[] before = ReferenceRenderer.render(message, from, replyTo, date);
        byte[] now = MimeRenderer.render(message, from, replyTo, date);
        assertThat(new String(now, StandardCharsets.ISO_8859_1)).as(what)
                .isEqualTo(new String(before, StandardCharsets.ISO_8859_1));
    }
}
