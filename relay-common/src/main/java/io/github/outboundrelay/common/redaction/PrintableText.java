package io.github.outboundrelay.common.redaction;

/**
 * Makes text from the network safe to print: a server's reply, an exception message quoting it, a certificate's
 * names. Control characters (a TLS record read as text, an escape sequence meant for a terminal) become {@code \xNN}
 * (a backslash-u escape above U+00FF), so that no summary, exception message or transcript garbles a terminal or a log.
 */
public final class PrintableText {
    private PrintableText() {
    }

    /** {@code text} with every control, format-changing or unpaired character escaped; null stays null. */
    public static String escape(String text) {
        if (text == null || isPrintableAscii(text) || text.codePoints().allMatch(PrintableText::isPrintable)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (isPrintable(c)) {
                out.appendCodePoint(c);
            } else {
                out.append(String.format(c < 0x100 ? "\\x%02x" : "\\u%04x", c));
            }
        });
        return out.toString();
    }

    /** As {@link #escape} line by line, keeping the line breaks: for a multi-line SMTP reply. */
    public static String escapeLines(String text) {
        if (text == null || text.indexOf('\n') < 0) {
            return escape(text);
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            lines[i] = escape(lines[i]);
        }
        return String.join("\n", lines);
    }

    /** Bytes as {@code \x16\x03\x03}, for bytes that were never text. */
    public static String hex(byte[] bytes, int offset, int length) {
        StringBuilder out = new StringBuilder(length * 4);
        for (int i = offset; i < offset + length; i++) {
            out.append(String.format("\\x%02x", bytes[i] & 0xff));
        }
        return out.toString();
    }

    /** The common case, without a code point stream: every SMTP reply of a mail passes here. */
    private static boolean isPrintableAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPrintable(int c) {
        if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
            return false; // C0 and C1 controls, DEL: what terminals act on
        }
        return switch (Character.getType(c)) {
            // Bidirectional overrides and other invisible format characters can make a line read differently.
            // An unpaired surrogate is what undecodable bytes leave behind.
            case Character.FORMAT, Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
