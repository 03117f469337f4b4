package io.github.outboundrelay.common.mime;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import java.util.Random;

/**
 * Random messages of relay-common's shapes, from a seed: ASCII and UTF-8 subjects, names and bodies, characters
 * that MIME treats specially ("=?", quotes, backslashes, tabs, runs of spaces), long words and lines, lines
 * starting with dots, and bare CR and LF line ends.
 */
final class RandomMessages {
    private static final String[] HEADER_PIECES = {
            "Build", "#42", "failed", "Zürich", "日本語のテキスト", "🎉", "Ωμέγα", "=?", "?=", "=?UTF-8?B?QQ==?=", "\\",
            "\"", "(", ")", ",", ";", ":", "<", ">", "@", ".", "..", "_", "=", "-", "'", "ä", "\u00A0", "\t", "  ",
            "x".repeat(90), "é".repeat(40), "a.b", "[x]", "%", "~", "Ünïcödé name",
    };
    private static final String[] BODY_PIECES = {
            "Hello", "world", ".", "..", ". ", ".hidden", "From here", "=", "=3D", "a=b", "Zürich", "日本語", "🎉",
            "<p>Hi &amp; bye</p>", "<a href=\"https://example.com/reset?token=abc&x=1\">reset</a>", "\t", "   ",
            "\u0001", "\u007F", "--", "--=_relay_", "x".repeat(1200), "ab ".repeat(400), "é".repeat(700),
    };
    private static final String[] LINE_ENDS = {"\r\n", "\n", "\r", "\r\n", "\n"};

    private final Random random;

    RandomMessages(long seed) {
        random = new Random(seed);
    }

    OutboundMessage next() {
        OutboundMessage.Builder b = OutboundMessage.builder()
                .from(mailbox("from"))
                .subject(headerText(12));
        int to = 1 + random.nextInt(3);
        for (int i = 0; i < to; i++) {
            b.to(mailbox("to" + i));
        }
        if (random.nextInt(3) == 0) {
            b.cc(mailboxText("cc"));
        }
        if (random.nextInt(4) == 0) {
            b.bcc("hidden@example.org");
        }
        if (random.nextInt(3) == 0) {
            b.replyTo(mailbox("reply"));
        }
        int headers = random.nextInt(3);
        for (int i = 0; i < headers; i++) {
            b.header("X-Fuzz-" + i, headerText(8));
        }
        switch (random.nextInt(3)) {
            case 0 -> b.text(body());
            case 1 -> b.html("<html><body>" + body() + "</body></html>");
            default -> b.text(body()).html("<html><body>\n" + body() + "\n</body></html>");
        }
        return b.build();
    }

    private MailAddress mailbox(String local) {
        String name = random.nextInt(4) == 0 ? "" : headerText(5);
        return new MailAddress(local + "." + random.nextInt(1000) + "@example.com", name);
    }

    private String mailboxText(String local) {
        MailAddress a = mailbox(local);
        return a.displayName().isEmpty() ? a.address() : "=?x?= <" + a.address() + ">";
    }

    private String headerText(int maxPieces) {
        int n = random.nextInt(maxPieces + 1);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0 && random.nextBoolean()) {
                s.append(' ');
            }
            s.append(HEADER_PIECES[random.nextInt(HEADER_PIECES.length)]);
        }
        return s.toString();
    }

    private String body() {
        int lines = random.nextInt(12);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            int pieces = random.nextInt(6);
            for (int p = 0; p < pieces; p++) {
                if (p > 0 && random.nextBoolean()) {
                    s.append(' ');
                }
                s.append(BODY_PIECES[random.nextInt(BODY_PIECES.length)]);
            }
            if (i < lines - 1 || random.nextBoolean()) {
                s.append(LINE_ENDS[random.nextInt(LINE_ENDS.length)]);
            }
        }
        return s.toString();
    }
}
