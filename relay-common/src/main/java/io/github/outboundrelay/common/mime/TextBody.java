package io.github.outboundrelay.common.mime;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A text or HTML body in its canonical form (every line ending, bare CR and bare LF included, made CRLF; a CRLF at
 * the end) and in the transfer encoding that carries it unchanged: 7bit when it is ASCII without control characters
 * and no line is longer than 998 bytes, base64 when most of it is not ASCII, quoted-printable otherwise.
 *
 * @param transferEncoding the Content-Transfer-Encoding
 * @param encoded          the encoded body: ASCII, CRLF line ends, ending in CRLF
 */
record TextBody(String transferEncoding, byte[] encoded) {
    private static final int MAX_7BIT_LINE = 998;
    /** Quoted-printable lines hold 76 characters at most, a soft break's "=" included (RFC 2045 6.7). */
    private static final int QP_LINE = 76;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    static TextBody of(String text) {
        byte[] sevenBit = sevenBit(text);
        if (sevenBit != null) {
            return new TextBody("7bit", sevenBit);
        }
        byte[] canonical = canonical(text).getBytes(StandardCharsets.UTF_8);
        int nonAscii = 0;
        for (byte b : canonical) {
            if (b < 0) {
                nonAscii++;
            }
        }
        if (nonAscii * 3 > canonical.length) {
            return new TextBody("base64", (Base64.getMimeEncoder().encodeToString(canonical) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        return new TextBody("quoted-printable", quotedPrintable(canonical).getBytes(StandardCharsets.US_ASCII));
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
