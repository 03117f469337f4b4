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
record TextBody(String transferEncoding, String encoded) {
    private static final int MAX_7BIT_LINE = 998;
    /** Quoted-printable lines hold 76 characters at most, a soft break's "=" included (RFC 2045 6.7). */
    private static final int QP_LINE = 76;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    static TextBody of(String text) {
        byte[] canonical = canonical(text).getBytes(StandardCharsets.UTF_8);
        int nonAscii = 0;
        boolean control = false;
        int lineLength = 0;
        int longestLine = 0;
        for (int i = 0; i < canonical.length; i++) {
            int b = canonical[i] & 0xFF;
            if (b == '\r' && i + 1 < canonical.length && canonical[i + 1] == '\n') {
                longestLine = Math.max(longestLine, lineLength);
                lineLength = 0;
                i++;
                continue;
            }
            lineLength++;
            if (b >= 0x80) {
                nonAscii++;
            } else if ((b < 0x20 && b != '\t') || b == 0x7F) {
                control = true;
            }
        }
        if (nonAscii == 0 && !control && longestLine <= MAX_7BIT_LINE) {
            return new TextBody("7bit", new String(canonical, StandardCharsets.US_ASCII));
        }
        if (nonAscii * 3 > canonical.length) {
            return new TextBody("base64", Base64.getMimeEncoder().encodeToString(canonical) + "\r\n");
        }
        return new TextBody("quoted-printable", quotedPrintable(canonical));
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
