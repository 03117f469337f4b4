package io.github.outboundrelay.common.mime;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A text or HTML body in its canonical form (every line ending, bare CR and bare LF included, made CRLF; a CRLF at
 * the end) and in the transfer encoding that carries it unchanged: 7bit when it is ASCII without control characters
 * and no line is longer than 998 bytes, base64 when most of it is not ASCII, quoted-printable otherwise. A 7bit body
 * (the usual Jenkins and Keycloak mail) keeps the text's own bytes, and {@link #writeTo} copies them into the
 * message's bytes in runs between line ends, each made CRLF on the way (rendering is on every mail's path).
 */
final class TextBody {
    private static final int MAX_7BIT_LINE = 998;
    private static final byte QUESTION_MARK = '?';
    /** Quoted-printable lines hold 76 characters at most, a soft break's "=" included (RFC 2045 6.7). */
    private static final int QP_LINE = 76;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String transferEncoding;
    /** A 7bit body's text, its line ends as given; null for the other encodings. */
    private final String sevenBitText;
    /** The same text's bytes (ASCII), its line ends made CRLF while written; null for the other encodings. */
    private final byte[] ascii;
    /** How a 7bit body's line ends are made CRLF ({@link LineEnds}); null for the other encodings. */
    private final LineEnds lineEnds;
    /** The encoded body of the other encodings; null for 7bit. */
    private final byte[] encoded;
    private final int length;

    /**
     * The line ends of a 7bit text, which decide how {@link #writeTo} copies it: in runs between line ends where it
     * can (an array copy each), character by character where it has a mix.
     */
    private enum LineEnds {
        /** LF only, or none (Unix text, the usual template output): runs between the LFs, each LF written as CRLF. */
        LF,
        /** CRLF only: the text is already canonical and is copied whole. */
        CRLF,
        /** Bare CRs, or LFs beside CRLFs: each line end is made CRLF character by character. */
        MIXED
    }

    private TextBody(String transferEncoding, String sevenBitText, byte[] ascii, LineEnds lineEnds, byte[] encoded,
                     int length) {
        this.transferEncoding = transferEncoding;
        this.sevenBitText = sevenBitText;
        this.ascii = ascii;
        this.lineEnds = lineEnds;
        this.encoded = encoded;
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
        return new TextBody(base64 ? "base64" : "quoted-printable", null, null, null, encoded, encoded.length);
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
        int n = ascii.length;
        switch (lineEnds) {
            case CRLF -> at = copy(0, n, out, at);
            case LF -> {
                for (int from = 0, lf; from < n; from = lf + 1) {
                    lf = sevenBitText.indexOf('\n', from); // the string's own search: a vector loop in the JDK
                    lf = lf < 0 ? n : lf;
                    at = copy(from, lf, out, at);
                    if (lf < n) {
                        out[at++] = '\r';
                        out[at++] = '\n';
                    }
                }
            }
            case MIXED -> {
                for (int i = 0; i < n; i++) {
                    byte c = ascii[i];
                    if (c == '\r' || c == '\n') {
                        if (c == '\r' && i + 1 < n && ascii[i + 1] == '\n') {
                            i++;
                        }
                        out[at++] = '\r';
                        out[at++] = '\n';
                    } else {
                        out[at++] = c;
                    }
                }
            }
        }
        if (n == 0 || (ascii[n - 1] != '\n' && ascii[n - 1] != '\r')) {
            out[at++] = '\r';
            out[at] = '\n';
        }
    }

    private int copy(int from, int to, byte[] out, int at) {
        System.arraycopy(ascii, from, out, at, to - from);
        return at + (to - from);
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
     * The 7bit body when the text can go so (ASCII, no control character but tab, no line above 998), else null. Its
     * bytes are the text's UTF-8, which for ASCII text is one copy of the string (and which makes any other character
     * two bytes or more, but an unpaired surrogate one '?': a length that differs from the text's is not ASCII, and
     * neither is a '?' that the text does not have). They are checked here eight at a time
     * ({@link ByteWords}) and written into the message's bytes by {@link #writeTo}, their line ends made CRLF.
     */
    private static TextBody sevenBit(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        if (n != text.length()) {
            return null;
        }
        int lineStart = 0;
        int bareBreaks = 0; // a bare LF or CR: one byte written as two
        boolean cr = false;
        // Every character took one byte, so bytes[i] is text[i]; but UTF-8 cannot hold an unpaired surrogate and
        // writes a '?' of one byte for it: the scan stops at each '?', which must be the text's own.
        for (int i = ByteWords.printableEnd(bytes, 0, n, QUESTION_MARK); i < n;
             i = ByteWords.printableEnd(bytes, i + 1, n, QUESTION_MARK)) {
            byte c = bytes[i];
            if (c == '?') {
                if (text.charAt(i) != '?') {
                    return null;
                }
            } else if (c == '\r' || c == '\n') {
                if (i - lineStart > MAX_7BIT_LINE) {
                    return null;
                }
                if (c == '\r' && i + 1 < n && bytes[i + 1] == '\n') {
                    i++;
                } else {
                    bareBreaks++;
                }
                cr |= c == '\r';
                lineStart = i + 1;
            } else if (c != '\t') {
                return null;
            }
        }
        if (n - lineStart > MAX_7BIT_LINE) {
            return null;
        }
        boolean endsWithLineBreak = n > 0 && (bytes[n - 1] == '\n' || bytes[n - 1] == '\r');
        LineEnds lineEnds = !cr ? LineEnds.LF : bareBreaks == 0 ? LineEnds.CRLF : LineEnds.MIXED;
        return new TextBody("7bit", text, bytes, lineEnds, null, n + bareBreaks + (endsWithLineBreak ? 0 : 2));
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
