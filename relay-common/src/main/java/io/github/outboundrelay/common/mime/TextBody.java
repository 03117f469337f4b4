package io.github.outboundrelay.common.mime;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A text or HTML body in its canonical form (every line ending, bare CR and bare LF included, made CRLF; a CRLF at
 * the end) and in the transfer encoding that carries it unchanged: 7bit when it is ASCII without control characters
 * and no line is longer than 998 bytes, base64 when most of it is not ASCII, quoted-printable otherwise. A 7bit body
 * (the usual Jenkins and Keycloak mail) is not copied into an array of its own: {@link #writeTo} writes it straight
 * into the message's bytes, its line ends made CRLF on the way (rendering is on every mail's path).
 */
final class TextBody {
    private static final int MAX_7BIT_LINE = 998;
    /** Quoted-printable lines hold 76 characters at most, a soft break's "=" included (RFC 2045 6.7). */
    private static final int QP_LINE = 76;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String transferEncoding;
    /** 7bit: the text's characters, one byte each, line ends as given; otherwise the encoded body itself. */
    private final byte[] bytes;
    /** A 7bit text with a bare CR or LF: its line ends are made CRLF while written. */
    private final boolean bareLineEnds;
    /** A 7bit text that does not end in a line break: a CRLF follows it. */
    private final boolean addCrlf;
    private final int length;

    private TextBody(String transferEncoding, byte[] bytes, boolean bareLineEnds, boolean addCrlf, int length) {
        this.transferEncoding = transferEncoding;
        this.bytes = bytes;
        this.bareLineEnds = bareLineEnds;
        this.addCrlf = addCrlf;
        this.length = length;
    }

    static TextBody of(String text) {
        TextBody sevenBit = sevenBit(text);
        if (sevenBit != null) {
            return sevenBit;
        }
        byte[] canonical = canonical(text).getBytes(StandardCharsets.UTF_8);
        int nonAscii = 0;
        for (byte b : canonical) {
            if (b < 0) {
                nonAscii++;
            }
        }
        boolean base64 = nonAscii * 3 > canonical.length;
        byte[] encoded = base64
                ? (Base64.getMimeEncoder().encodeToString(canonical) + "\r\n").getBytes(StandardCharsets.US_ASCII)
                : quotedPrintable(canonical).getBytes(StandardCharsets.US_ASCII);
        return new TextBody(base64 ? "base64" : "quoted-printable", encoded, false, false, encoded.length);
    }

    /** The Content-Transfer-Encoding. */
    String transferEncoding() {
        return transferEncoding;
    }

    /** The number of bytes {@link #writeTo} writes: the encoded body, ASCII, CRLF line ends, ending in CRLF. */
    int length() {
        return length;
    }

    /** Writes the encoded body into {@code out} at {@code at}, where {@link #length()} bytes are free. */
    void writeTo(byte[] out, int at) {
        if (!bareLineEnds) {
            System.arraycopy(bytes, 0, out, at, bytes.length); // CRLF line ends (or none): the text as it is
            at += bytes.length;
        } else {
            // Each run between line breaks in one bulk copy, each line break as CRLF.
            int run = 0;
            for (int i = 0; i < bytes.length; i++) {
                byte b = bytes[i];
                if (b == '\r' || b == '\n') {
                    System.arraycopy(bytes, run, out, at, i - run);
                    at += i - run;
                    out[at++] = '\r';
                    out[at++] = '\n';
                    if (b == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n') {
                        i++;
                    }
                    run = i + 1;
                }
            }
            System.arraycopy(bytes, run, out, at, bytes.length - run);
            at += bytes.length - run;
        }
        if (addCrlf) {
            out[at++] = '\r';
            out[at] = '\n';
        }
    }

    /**
     * Whether the encoded body holds {@code ascii} (which has no CR or LF, so making line ends CRLF cannot make or
     * break an occurrence).
     */
    boolean contains(String ascii) {
        for (int i = 0; i + ascii.length() <= bytes.length; i++) {
            int j = 0;
            while (j < ascii.length() && bytes[i + j] == ascii.charAt(j)) {
                j++;
            }
            if (j == ascii.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The body as 7bit when the text can go so (ASCII, no control character but tab, no line above 998), else null.
     * One bulk copy of the characters and one pass over those bytes, instead of a {@code charAt} per character in a
     * pass to check and another to copy: this is the most CPU a plain mail costs in rendering.
     */
    private static TextBody sevenBit(String text) {
        // One byte per character; a character above 0xFF becomes '?', which the loop tells from a real '?'.
        byte[] chars = text.getBytes(StandardCharsets.ISO_8859_1);
        int n = chars.length;
        int length = 0;
        int line = 0;
        boolean bareLineEnds = false;
        for (int i = 0; i < n; i++) {
            byte b = chars[i];
            if (b == '\r' || b == '\n') {
                if (b == '\r' && i + 1 < n && chars[i + 1] == '\n') {
                    i++;
                } else {
                    bareLineEnds = true;
                }
                length += 2;
                line = 0;
            } else if ((b < 0x20 && b != '\t') || b == 0x7F || ++line > MAX_7BIT_LINE) {
                return null; // b < 0x20 holds the bytes above 0x7F too (negative)
            } else if (b == '?' && text.charAt(i) != '?') {
                return null;
            } else {
                length++;
            }
        }
        boolean endsWithLineBreak = n > 0 && (chars[n - 1] == '\n' || chars[n - 1] == '\r');
        return new TextBody("7bit", chars, bareLineEnds, !endsWithLineBreak, endsWithLineBreak ? length : length + 2);
    }

    /** Every line ending (CRLF, bare CR, bare LF) as CRLF, and a CRLF at the end: what a parser reads back. */
    static String canonical(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                out.append("\r\n");
            } else if (c == '\n') {
                out.append("\r\n");
            } else {
                out.append(c);
            }
        }
        if (out.length() < 2 || out.charAt(out.length() - 1) != '\n') {
            out.append("\r\n");
        }
        return out.toString();
    }

    /**
     * RFC 2045 quoted-printable of canonical text: line ends stay hard CRLFs; "=", control characters, bytes above
     * 126 and a space or tab at the end of a line are escaped; soft breaks keep lines within 76 characters.
     */
    private static String quotedPrintable(byte[] canonical) {
        StringBuilder out = new StringBuilder(canonical.length * 3 / 2);
        int column = 0;
        for (int i = 0; i < canonical.length; i++) {
            int b = canonical[i] & 0xFF;
            if (b == '\r' && i + 1 < canonical.length && canonical[i + 1] == '\n') {
                out.append("\r\n");
                column = 0;
                i++;
                continue;
            }
            boolean lastOfLine = i + 1 >= canonical.length || canonical[i + 1] == '\r';
            boolean literal = (b >= 0x21 && b <= 0x7E && b != '=') || ((b == ' ' || b == '\t') && !lastOfLine);
            int width = literal ? 1 : 3;
            // A soft break needs room for its "=", unless this is the line's last character.
            if (column + width > (lastOfLine ? QP_LINE : QP_LINE - 1)) {
                out.append("=\r\n");
                column = 0;
            }
            if (literal) {
                out.append((char) b);
            } else {
                out.append('=').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
            column += width;
        }
        return out.toString();
    }
}
