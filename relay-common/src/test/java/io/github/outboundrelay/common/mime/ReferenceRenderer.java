package io.github.outboundrelay.common.mime;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The renderer as it was before its CPU was cut (commit d8796b9), kept only here so that
 * {@link RendererRegressionTest} can compare the new rendering byte for byte with it. Only what that work changed
 * is kept as it was (the message's assembly, the Date, the 7bit body); the steps it left alone (folding,
 * canonical line ends, quoted-printable) are called in {@link HeaderFolding} and {@link TextBody}.
 */
final class ReferenceRenderer {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private ReferenceRenderer() {
    }

    static byte[] render(OutboundMessage message, MailAddress from, MailAddress replyTo, Instant date) {
        Chunks chunks = new Chunks();
        StringBuilder out = chunks.text;
        StringBuilder line = new StringBuilder(128);

        header(out, line.append("Date: ").append(DATE.format(date)));
        HeaderText.appendMailbox(start(line, "From"), from);
        header(out, line);
        if (replyTo != null) {
            HeaderText.appendMailbox(start(line, "Reply-To"), replyTo);
            header(out, line);
        }
        if (!message.to().isEmpty()) {
            HeaderText.appendMailboxes(start(line, "To"), message.to());
            header(out, line);
        }
        if (!message.cc().isEmpty()) {
            HeaderText.appendMailboxes(start(line, "Cc"), message.cc());
            header(out, line);
        }
        header(out, start(line, "Message-ID").append(message.messageId()));
        HeaderText.appendUnstructured(start(line, "Subject"), message.subject());
        header(out, line);
        header(out, start(line, "MIME-Version").append("1.0"));
        for (Map.Entry<String, String> extra : message.headers().entrySet()) {
            HeaderText.appendUnstructured(start(line, extra.getKey()), extra.getValue());
            header(out, line);
        }

        if (message.text() != null && message.html() != null) {
            OldTextBody text = OldTextBody.of(message.text());
            OldTextBody html = OldTextBody.of(message.html());
            String boundary = boundary(message.messageId(), text, html);
            header(out, start(line, "Content-Type").append("multipart/alternative; boundary=\"").append(boundary).append('"'));
            out.append("\r\n");
            part(chunks, line, boundary, "text/plain", text);
            part(chunks, line, boundary, "text/html", html);
            out.append("--").append(boundary).append("--\r\n");
        } else if (message.html() != null) {
            body(chunks, line, "text/html", OldTextBody.of(message.html()));
        } else {
            body(chunks, line, "text/plain", OldTextBody.of(message.text()));
        }
        return chunks.toBytes();
    }

    /** Header text and body bytes in order, copied once into the message's bytes at the end. */
    private static final class Chunks {
        final StringBuilder text = new StringBuilder(1024);
        private final java.util.List<byte[]> parts = new java.util.ArrayList<>(8);
        private int size;

        void add(byte[] bytes) {
            flushText();
            parts.add(bytes);
            size += bytes.length;
        }

        byte[] toBytes() {
            flushText();
            byte[] all = new byte[size];
            int at = 0;
            for (byte[] part : parts) {
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            return all;
        }

        private void flushText() {
            if (text.length() > 0) {
                byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8); // UTF-8: SMTPUTF8 addresses
                parts.add(bytes);
                size += bytes.length;
                text.setLength(0);
            }
        }
    }

    /**
     * One body part. The CRLF before the next delimiter belongs to the delimiter (RFC 2046 5.1.1), so the part's
     * content keeps its own final CRLF, as a single-part body does.
     */
    private static void part(Chunks chunks, StringBuilder line, String boundary, String type, OldTextBody body) {
        chunks.text.append("--").append(boundary).append("\r\n");
        body(chunks, line, type, body);
        chunks.text.append("\r\n");
    }

    private static void body(Chunks chunks, StringBuilder line, String type, OldTextBody body) {
        header(chunks.text, start(line, "Content-Type").append(type).append("; charset=UTF-8"));
        header(chunks.text, start(line, "Content-Transfer-Encoding").append(body.transferEncoding()));
        chunks.text.append("\r\n");
        chunks.add(body.encoded());
    }

    /**
     * A boundary from the Message-ID, so a render is repeatable. "=_" cannot occur in quoted-printable or base64;
     * a 7bit body could hold it by chance, then another is taken.
     */
    private static String boundary(String messageId, OldTextBody... bodies) {
        String base = "=_relay_" + UUID.nameUUIDFromBytes(messageId.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
        for (int n = 0; ; n++) {
            String candidate = n == 0 ? base : base + "_" + n;
            boolean clash = false;
            for (OldTextBody body : bodies) {
                clash |= contains(body.encoded(), candidate);
            }
            if (!clash) {
                return candidate;
            }
        }
    }

    private static StringBuilder start(StringBuilder line, String name) {
        line.setLength(0);
        return line.append(name).append(": ");
    }

    private static void header(StringBuilder out, StringBuilder line) {
        if (line.charAt(line.length() - 1) == ' ') {
            line.setLength(line.length() - 1); // an empty value: "Name:", which parsers read back as empty
        }
        String text = line.toString();
        HeaderFolding.appendFolded(out, text, text.indexOf(':') + 1);
        line.setLength(0);
    }

    private static boolean contains(byte[] bytes, String ascii) {
        for (int i = 0; i + ascii.length() <= bytes.length; i++) {
            if (startsWith(bytes, i, ascii)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] bytes, int offset, String prefix) {
        if (offset + prefix.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (bytes[offset + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }


    record OldTextBody(String transferEncoding, byte[] encoded) {
        private static final int MAX_7BIT_LINE = 998;

        static OldTextBody of(String text) {
            byte[] sevenBit = sevenBit(text);
            if (sevenBit != null) {
                return new OldTextBody("7bit", sevenBit);
            }
            byte[] canonical = TextBody.canonical(text).getBytes(StandardCharsets.UTF_8);
            int nonAscii = 0;
            for (byte b : canonical) {
                if (b < 0) {
                    nonAscii++;
                }
            }
            if (nonAscii * 3 > canonical.length) {
                return new OldTextBody("base64", (Base64.getMimeEncoder().encodeToString(canonical) + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
            }
            return new OldTextBody("quoted-printable", TextBody.quotedPrintable(canonical).getBytes(StandardCharsets.US_ASCII));
        }

        /**
         * The canonical bytes when the text can go as 7bit (ASCII, no control character but tab, no line above 998),
         * else null. The common case (Jenkins and Keycloak text mail) in one pass to count and one to copy, without
         * intermediate strings: rendering is on every mail's path.
         */
        private static byte[] sevenBit(String text) {
            int length = 0;
            int line = 0;
            int n = text.length();
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c == '\r' || c == '\n') {
                    if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                        i++;
                    }
                    length += 2;
                    line = 0;
                } else if (c >= 0x7F || (c < 0x20 && c != '\t') || ++line > MAX_7BIT_LINE) {
                    return null;
                } else {
                    length++;
                }
            }
            boolean endsWithLineBreak = n > 0 && (text.charAt(n - 1) == '\n' || text.charAt(n - 1) == '\r');
            byte[] out = new byte[endsWithLineBreak ? length : length + 2];
            int o = 0;
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c == '\r' || c == '\n') {
                    if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                        i++;
                    }
                    out[o++] = '\r';
                    out[o++] = '\n';
                } else {
                    out[o++] = (byte) c;
                }
            }
            if (!endsWithLineBreak) {
                out[o++] = '\r';
                out[o] = '\n';
            }
            return out;
        }
    }
}
