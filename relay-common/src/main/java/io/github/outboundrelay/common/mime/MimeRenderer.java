package io.github.outboundrelay.common.mime;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Renders an {@link OutboundMessage} into the bytes of an RFC 5322 / MIME message, once: text, HTML, or both as
 * multipart/alternative; UTF-8 header text as RFC 2047 encoded words; each body 7bit, quoted-printable or base64 as
 * it needs; headers folded at 78 characters; CRLF line ends. The bytes are not dot-stuffed: the DATA writer
 * ({@code transport.DataWriter}) does that, once, when the mail transaction sends them. Why relay-common renders instead of jakarta.mail's
 * MIME objects: docs/performance.md ("Where the time goes").
 *
 * <pre>{@code
 * byte[] mime = MimeRenderer.render(message, settings, Instant.now());
 * }</pre>
 */
public final class MimeRenderer {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private MimeRenderer() {
    }

    /**
     * The message as it goes to {@code settings}' relay: the settings fill in From and Reply-To where the message
     * has none.
     *
     * @throws InvalidInputException when there is no From, or a non-ASCII address while the settings do not allow it
     */
    public static byte[] render(OutboundMessage message, RelaySettings settings, Instant date) {
        checkSendable(message, settings);
        return render(message, from(message, settings), replyTo(message, settings), date);
    }

    /**
     * Refuses what these settings cannot send.
     *
     * @throws InvalidInputException when there is no From, or a non-ASCII address while the settings do not allow it
     */
    public static void checkSendable(OutboundMessage message, RelaySettings settings) {
        MailAddress from = from(message, settings);
        if ((message.needsUtf8() || from.needsUtf8()) && !settings.allowUtf8()) {
            throw new InvalidInputException("allowUtf8", "is off but the message has a non-ASCII address",
                    "Turn on UTF-8 addresses (the relay must offer SMTPUTF8) or use ASCII addresses");
        }
    }

    /**
     * Whether {@code rendered} (a render of {@code message}) carries the From and Reply-To that {@code settings} give
     * it: a mail rendered at submit is rendered again when it goes to a failover relay with another default From, or
     * after the settings' From changed while it waited (the relay may refuse the old one).
     */
    public static boolean rendersFor(byte[] rendered, OutboundMessage message, RelaySettings settings) {
        StringBuilder expected = new StringBuilder(160);
        StringBuilder line = new StringBuilder(128);
        HeaderText.appendMailbox(start(line, "From"), from(message, settings));
        header(expected, line);
        MailAddress replyTo = replyTo(message, settings);
        if (replyTo != null) {
            HeaderText.appendMailbox(start(line, "Reply-To"), replyTo);
            header(expected, line);
        }
        byte[] block = expected.toString().getBytes(StandardCharsets.UTF_8);
        int dateEnd = indexOfCrlf(rendered, 0) + 2; // Date comes first, From and Reply-To right after it
        if (dateEnd < 2 || !java.util.Arrays.equals(rendered, dateEnd, Math.min(rendered.length, dateEnd + block.length),
                block, 0, block.length)) {
            return false;
        }
        int next = dateEnd + block.length;
        return replyTo != null || !startsWith(rendered, next, "Reply-To:");
    }

    private static MailAddress replyTo(OutboundMessage message, RelaySettings settings) {
        return message.replyTo() != null ? message.replyTo() : settings.replyTo();
    }

    private static boolean contains(byte[] bytes, String ascii) {
        for (int i = 0; i + ascii.length() <= bytes.length; i++) {
            if (startsWith(bytes, i, ascii)) {
                return true;
            }
        }
        return false;
    }

    private static int indexOfCrlf(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
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

    /** The From the message goes out with: its own, else the settings' default. */
    public static MailAddress from(OutboundMessage message, RelaySettings settings) {
        MailAddress from = message.from() != null ? message.from() : settings.from();
        if (from == null) {
            throw new InvalidInputException("from", "is not set on the message or in the relay settings",
                    "Set a From address in the relay settings");
        }
        return from;
    }

    /** The message with this From and Reply-To (null for none). Bcc recipients never appear in a header. */
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
            TextBody text = TextBody.of(message.text());
            TextBody html = TextBody.of(message.html());
            String boundary = boundary(message.messageId(), text, html);
            header(out, start(line, "Content-Type").append("multipart/alternative; boundary=\"").append(boundary).append('"'));
            out.append("\r\n");
            part(chunks, line, boundary, "text/plain", text);
            part(chunks, line, boundary, "text/html", html);
            out.append("--").append(boundary).append("--\r\n");
        } else if (message.html() != null) {
            body(chunks, line, "text/html", TextBody.of(message.html()));
        } else {
            body(chunks, line, "text/plain", TextBody.of(message.text()));
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
    private static void part(Chunks chunks, StringBuilder line, String boundary, String type, TextBody body) {
        chunks.text.append("--").append(boundary).append("\r\n");
        body(chunks, line, type, body);
        chunks.text.append("\r\n");
    }

    private static void body(Chunks chunks, StringBuilder line, String type, TextBody body) {
        header(chunks.text, start(line, "Content-Type").append(type).append("; charset=UTF-8"));
        header(chunks.text, start(line, "Content-Transfer-Encoding").append(body.transferEncoding()));
        chunks.text.append("\r\n");
        chunks.add(body.encoded());
    }

    /**
     * A boundary from the Message-ID, so a render is repeatable. "=_" cannot occur in quoted-printable or base64;
     * a 7bit body could hold it by chance, then another is taken.
     */
    private static String boundary(String messageId, TextBody... bodies) {
        String base = "=_relay_" + UUID.nameUUIDFromBytes(messageId.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
        for (int n = 0; ; n++) {
            String candidate = n == 0 ? base : base + "_" + n;
            boolean clash = false;
            for (TextBody body : bodies) {
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

}
