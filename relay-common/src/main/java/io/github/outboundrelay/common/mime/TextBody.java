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
    /** A 7bit body's text, its line ends as given (made CRLF while written); null for the other encodings. */
    private final String sevenBitText;
    /** The encoded body of the other encodings; null for 7bit. */
    private final byte[] encoded;
    private final int length;

    private TextBody(String transferEncoding, String sevenBitText, byte[] encoded, int length) {
        this.transferEncoding = transferEncoding;
        this.sevenBitText = sevenBitText;
        this.encoded = encoded;
        this.length = length;
    }

    static TextBody of(String text) {
        int sevenBitLength = sevenBitLength(text);
        if (sevenBitLength >= 0) {
            return new TextBody("7bit", text, null, sevenBitLength);
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
        return new TextBody(base64 ? "base64" : "quoted-printable", null, encoded, encoded.length);
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
        if (encoded != null) {
            System.arraycopy(encoded, 0, out, at, encoded.length);
            return;
        }
        String text = sevenBitText;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                    i++;
                }
                out[at++] = '\r';
                out[at++] = '\n';
            } else {
                out[at++] = (byte) c; // ASCII: sevenBitLength checked every character
            }
        }
        if (n == 0 || (text.charAt(n - 1) != '\n' && text.charAt(n - 1) != '\r')) {
            out[at++] = '\r';
            out[at] = '\n';
        }
    }

    /**
     * Whether the encoded body holds {@code ascii}, which has no CR or LF: a 7bit body holds it where its text does
     * (making line ends CRLF cannot make or break an occurrence).
     */
    boolean contains(String ascii) {
        if (sevenBitText != null) {
            return sevenBitText.contains(ascii);
        }
        for (int i = 0; i + ascii.length() <= encoded.length; i++) {
            int j = 0;
            while (j < ascii.length() && encoded[i + j] == ascii.charAt(j)) {
                j++;
            }
            if (j == ascii.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The length of the 7bit body when the text can go so (ASCII, no control character but tab, no line above 998),
     * else -1. The body itself is not made here: {@link #writeTo} writes it straight into the message's bytes, so a
     * plain mail's body is read twice and written once, with no array of its own (rendering is on every mail's path).
     */
    private static int sevenBitLength(String text) {
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
                return -1;
            } else {
                length++;
            }
        }
        boolean endsWithLineBreak = n > 0 && (text.charAt(n - 1) == '\n' || text.charAt(n - 1) == '\r');
        return endsWithLineBreak ? length : length + 2;
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
    static String quotedPrintable(byte[] canonical) {
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
