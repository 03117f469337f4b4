package io.github.outboundrelay.common.mime;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * RFC 2047 encoded words ({@code =?UTF-8?B?...?=}) for header text that cannot be written as plain ASCII. Each word
 * holds whole characters (a parser decodes every word on its own) and is at most 75 characters long; the words are
 * separated by single spaces, which a parser drops between adjacent encoded words, so the text decodes exactly,
 * spaces and tabs included.
 */
final class EncodedWords {
    private static final String PREFIX = "=?UTF-8?B?";
    private static final String SUFFIX = "?=";
    /** 75 characters at most per word: 12 of framing leave 63, so 15 base64 quads of 3 bytes each. */
    private static final int MAX_BYTES_PER_WORD = 45;

    private EncodedWords() {
    }

    /**
     * Appends {@code text} as encoded words separated by spaces; nothing for an empty text. {@code column} is where
     * the first word starts on its line when no fold can go before it (right after "Name: "), else 1: the first word
     * is then made short enough to end within 78 characters.
     */
    static void append(StringBuilder out, String text, int column) {
        Base64.Encoder base64 = Base64.getEncoder();
        int start = 0;
        boolean first = true;
        while (start < text.length()) {
            int room = first ? Math.min(MAX_BYTES_PER_WORD, (HeaderFolding.SOFT_LIMIT - column - 12) / 4 * 3)
                    : MAX_BYTES_PER_WORD;
            int end = start;
            int bytes = 0;
            while (end < text.length()) {
                int cp = text.codePointAt(end);
                int size = utf8Length(cp);
                if (bytes + size > room && end > start) {
                    break;
                }
                bytes += size;
                end += Character.charCount(cp);
            }
            if (!first) {
                out.append(' ');
            }
            first = false;
            out.append(PREFIX)
                    .append(base64.encodeToString(text.substring(start, end).getBytes(StandardCharsets.UTF_8)))
                    .append(SUFFIX);
            start = end;
        }
    }

    private static int utf8Length(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        if (codePoint < 0x800) {
            return 2;
        }
        return codePoint < 0x10000 ? 3 : 4;
    }
}
