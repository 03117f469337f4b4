package io.github.outboundrelay.common.mime;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BodySliceTest {
    private static final MailAddress FROM = MailAddress.of("ci@example.com", "CI", "from");
    private static final Instant DATE = Instant.parse("2026-12-03T08:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = {"", "one line", "LF lines\nsecond\n", "no final break\nlast", "CRLF lines\r\nsecond\r\n",
            "CRLF without the last\r\nlast", "\n", "\r\n", "\n\n\n", ".\n..\n.", "tab\tand  spaces \n"})
    void aSevenBitTextIsFoundInItsRenderingAndGivenBackExactly(String text) {
        byte[] rendered = MimeRenderer.render(OutboundMessage.builder().from(FROM).to("a@example.com").subject("s")
                .text(text).build(), FROM, null, DATE);

        BodySlice[] slices = BodySlice.findBodies(text, null, rendered);

        assertThat(slices[0]).isNotNull();
        assertThat(slices[1]).isNull();
        assertThat(slices[0].text(rendered)).isEqualTo(text);
        assertThat(slices[0].offset() + slices[0].length()).isEqualTo(rendered.length);
    }

    static java.util.stream.Stream<String> irreversible() {
        return java.util.stream.Stream.of("mixed\nline\r\nends", "bare\rCR", "ends with bare CR\r", "Zürich",
                "x".repeat(1200), "control \u0001 character", "=3D and a long line " + "y".repeat(1000));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("irreversible")
    void aTextItsRenderingChangedIrreversiblyIsNotFound(String text) {
        byte[] rendered = MimeRenderer.render(OutboundMessage.builder().from(FROM).to("a@example.com").subject("s")
                .text(text).build(), FROM, null, DATE);

        assertThat(BodySlice.findBodies(text, null, rendered)[0]).isNull();
    }

    @Test
    void bothPartsOfAnAlternativeAreFoundWhenBothAreSevenBit() {
        OutboundMessage m = OutboundMessage.builder().from(FROM).to("a@example.com").subject("s")
                .text("Hello\nworld").html("<p>Hello</p>\n<p>world</p>\n").build();
        byte[] rendered = MimeRenderer.render(m, FROM, null, DATE);

        BodySlice[] slices = BodySlice.findBodies(m.text(), m.html(), rendered);

        assertThat(slices[0].text(rendered)).isEqualTo(m.text());
        assertThat(slices[1].text(rendered)).isEqualTo(m.html());
        assertThat(slices[1].offset()).isGreaterThan(slices[0].offset() + slices[0].length());
    }

    @Test
    void anAlternativeWithAQuotedPrintableTextStillFindsNothingWrong() {
        OutboundMessage m = OutboundMessage.builder().from(FROM).to("a@example.com").subject("s")
                .text("Grüße").html("<p>plain ascii</p>").build();
        byte[] rendered = MimeRenderer.render(m, FROM, null, DATE);

        BodySlice[] slices = BodySlice.findBodies(m.text(), m.html(), rendered);

        assertThat(slices[0]).isNull();
        assertThat(slices[1]).isNull(); // not looked for after a text it could not place: kept as it is
    }

    @Test
    void findChecksEveryByteSoAnyOffsetEitherGivesTheTextBackOrNothing() {
        String text = "a\nb\n";
        byte[] bytes = "xx a\r\nb\r\n a\r\nc\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int offset = 0; offset < bytes.length; offset++) {
            BodySlice slice = BodySlice.find(text, bytes, offset);
            if (slice != null) {
                assertThat(offset).isEqualTo(3);
                assertThat(slice.text(bytes)).isEqualTo(text);
            }
        }
        assertThat(BodySlice.find(text, bytes, 3)).isNotNull();
    }

    @Test
    void aSliceBeyondTheBytesOrOverNonAsciiIsRefused() {
        byte[] bytes = "ab\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> new BodySlice(2, 10, false, false).text(bytes)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BodySlice(0, 2, false, false).text(new byte[] {'a', (byte) 0xC3}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BodySlice(-1, 2, false, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyRandomMessagesBodiesAreGivenBackExactlyOrNotFound() {
        RandomMessages messages = new RandomMessages(13);
        int found = 0;
        for (int i = 0; i < 3000; i++) {
            OutboundMessage m = messages.next();
            byte[] rendered = MimeRenderer.render(m, m.from(), m.replyTo(), DATE);
            BodySlice[] slices = BodySlice.findBodies(m.text(), m.html(), rendered);
            if (slices[0] != null) {
                assertThat(slices[0].text(rendered)).isEqualTo(m.text());
                found++;
            }
            if (slices[1] != null) {
                assertThat(slices[1].text(rendered)).isEqualTo(m.html());
                found++;
            }
        }
        assertThat(found).isGreaterThan(0);
    }
}
