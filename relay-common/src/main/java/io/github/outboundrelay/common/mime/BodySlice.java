package io.github.outboundrelay.common.mime;

import java.nio.charset.StandardCharsets;

/**
 * Where a text or HTML body stands verbatim in its own rendering, so that the spool can keep the rendered bytes
 * alone instead of the body beside them (the body is most of a mail's bytes). A 7bit body is the text itself with
 * its line ends made CRLF and a CRLF added at the end when it had none: when the text had LF line ends only, or CRLF
 * line ends only, that change can be undone exactly, and {@link #text(byte[])} gives back the very same string.
 * {@link #find} checks every character before it answers, so a body it cannot give back exactly (quoted-printable,
 * base64, mixed or bare line ends) is simply not found, and the spool keeps it as it is.
 *
 * @param offset        where the body starts in the rendered bytes
 * @param length        its length there, the CRLF added at the end included
 * @param lfLineEnds    the text's line ends were LF (the rendering made them CRLF)
 * @param addedLastCrlf the text did not end in a line break (the rendering added the last CRLF)
 */
public record BodySlice(int offset, int length, boolean lfLineEnds, boolean addedLastCrlf) {

    public BodySlice {
        if (offset < 0 || length < 0 || (addedLastCrlf && length < 2)) {
            throw new IllegalArgumentException("slice " + offset + "+" + length + " out of range");
        }
    }

    /** The body as it was given, from the bytes it was found in; IllegalArgumentException when they do not hold it. */
    public String text(byte[] rendered) {
        if ((long) offset + length > rendered.length) {
            throw new IllegalArgumentException("slice " + offset + "+" + length + " beyond " + rendered.length + " bytes");
        }
        int end = offset + length - (addedLastCrlf ? 2 : 0);
        byte[] out = new byte[end - offset];
        int o = 0;
        for (int i = offset; i < end; i++) {
            byte b = rendered[i];
            if (b < 0) {
                throw new IllegalArgumentException("slice holds a byte that is not ASCII");
            }
            if (lfLineEnds && b == '\r') {
                continue; // every CR of an LF text is the one the rendering put before an LF
            }
            out[o++] = b;
        }
        return new String(out, 0, o, StandardCharsets.ISO_8859_1);
    }

    /**
     * The slice of {@code rendered} starting at {@code offset} that gives back exactly {@code text}, or null when the
     * bytes there are not the text's 7bit form.
     */
    public static BodySlice find(String text, byte[] rendered, int offset) {
        boolean lf = text.indexOf('\r') < 0;
        int n = text.length();
        int at = offset;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return null;
            }
            if (lf && c == '\n') {
                if (at >= rendered.length || rendered[at++] != '\r') {
                    return null;
                }
            }
            if (at >= rendered.length || rendered[at++] != c) {
                return null;
            }
        }
        boolean added = n == 0 || text.charAt(n - 1) != '\n';
        if (added) {
            if (at + 2 > rendered.length || rendered[at] != '\r' || rendered[at + 1] != '\n') {
                return null;
            }
            at += 2;
        }
        return new BodySlice(offset, at - offset, lf, added);
    }

    /**
     * Finds the bodies of a mail in what {@link MimeRenderer} made of it: {@code [text, html]}, each null when the
     * mail has none or it is not there verbatim. Its layout is known (a single part after the headers; two parts of a
     * multipart/alternative, each after its own headers), and {@link #find} checks every byte, so a wrong guess costs
     * only the body being kept as it is.
     */
    public static BodySlice[] findBodies(String text, String html, byte[] rendered) {
        BodySlice[] found = new BodySlice[2];
        int headersEnd = blankLine(rendered, 0);
        if (headersEnd < 0) {
            return found;
        }
        if (text == null || html == null) {
            String only = text != null ? text : html;
            found[text != null ? 0 : 1] = only == null ? null : find(only, rendered, headersEnd);
            return found;
        }
        int textStart = blankLine(rendered, headersEnd);
        found[0] = textStart < 0 ? null : find(text, rendered, textStart);
        if (found[0] != null) {
            int htmlStart = blankLine(rendered, found[0].offset() + found[0].length());
            found[1] = htmlStart < 0 ? null : find(html, rendered, htmlStart);
        }
        return found;
    }

    /** The position after the first CRLF CRLF that starts at or after {@code from}, or -1. */
    private static int blankLine(byte[] b, int from) {
        for (int i = from + 2; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i - 1] == '\n' && b[i - 2] == '\r') {
                return i + 2;
            }
        }
        return -1;
    }
}
