package io.github.outboundrelay.common.mime;

/**
 * Folds one logical header line (RFC 5322 section 2.2.3) so that its physical lines stay within 78 characters where
 * the text allows: a CRLF is inserted before an existing space or tab, never elsewhere, so unfolding (removing the
 * CRLFs) gives back the exact line. Values are rendered so that no unbreakable run is longer than the 998-character
 * limit (long words go into encoded words of 75 characters).
 */
final class HeaderFolding {
    static final int SOFT_LIMIT = 78;

    private HeaderFolding() {
    }

    /**
     * Appends {@code line} ("Name: value", without CRLF), folded, and the CRLF that ends it. {@code valueStart} is
     * where the value begins: the line is never broken before it, so no line holds a header name alone.
     */
    static void appendFolded(StringBuilder out, CharSequence line, int valueStart) {
        if (line.length() <= SOFT_LIMIT) {
            out.append(line).append("\r\n");
            return;
        }
        int physicalStart = 0; // where the current physical line starts in line
        int segmentStart = 0;  // where the current run that cannot be broken starts
        for (int i = valueStart + 1; i <= line.length(); i++) {
            if (i < line.length() && !canBreakBefore(line, i)) {
                continue;
            }
            if (i - physicalStart > SOFT_LIMIT && segmentStart > physicalStart) {
                out.append(line, physicalStart, segmentStart).append("\r\n");
                physicalStart = segmentStart;
            }
            segmentStart = i;
        }
        out.append(line, physicalStart, line.length()).append("\r\n");
    }

    /**
     * A fold may go before a space or tab that is followed by text (a line of only whitespace is not allowed), and
     * not after a backslash: jakarta.mail reads a backslash before a line break as escaping the break.
     */
    private static boolean canBreakBefore(CharSequence line, int i) {
        char c = line.charAt(i);
        if (c != ' ' && c != '\t') {
            return false;
        }
        if (i + 1 >= line.length()) {
            return false;
        }
        char next = line.charAt(i + 1);
        return next != ' ' && next != '\t' && line.charAt(i - 1) != '\\';
    }
}
