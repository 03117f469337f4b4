package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.PrintableText;

import java.util.regex.Pattern;

/**
 * A server reply: its three-digit code, the enhanced status code when present ({@code 5.7.8}) and the text.
 * The only place reply codes are interpreted.
 *
 * @param code     the basic reply code, such as 250 or 535
 * @param enhanced the RFC 3463 enhanced status code, or empty
 * @param text     the reply text after the codes; the lines of a multi-line reply are separated by {@code \n}; control
 *                 characters the server sent are escaped ({@code \x1b}), as the text ends up in logs and terminals
 */
public record SmtpReply(int code, String enhanced, String text) {
    /** The codes in front of each further line of a multi-line reply. Compiled once: every reply is parsed. */
    private static final Pattern NEXT_LINE_CODES = Pattern.compile("\\s*\\r?\\n\\d{3}[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s+)?");

    public SmtpReply {
        enhanced = enhanced == null ? "" : enhanced;
        text = text == null ? "" : PrintableText.escapeLines(text.strip());
    }

    /**
     * Parses {@code "535 5.7.8 Authentication credentials invalid"}; null when the text holds no reply code. The
     * grammar, written out by hand because every reply of every mail passes here (a regular expression cost more
     * than the rest of reading a reply): three digits, an optional {@code ' '} or {@code '-'}, an optional enhanced
     * code ({@code [245].d{1,3}.d{1,3}}) followed by white space, then the text; the codes in front of the further
     * lines of a multi-line reply are dropped.
     */
    public static SmtpReply parse(String reply) {
        if (reply == null) {
            return null;
        }
        String s = reply.strip();
        if (s.length() < 3 || !isDigit(s, 0) || !isDigit(s, 1) || !isDigit(s, 2)) {
            return null;
        }
        int code = (s.charAt(0) - '0') * 100 + (s.charAt(1) - '0') * 10 + (s.charAt(2) - '0');
        int i = 3;
        if (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '-')) {
            i++;
        }
        String enhanced = null;
        int end = enhancedCodeEnd(s, i);
        if (end > 0) {
            enhanced = s.substring(i, end);
            i = end;
            while (i < s.length() && isSpace(s.charAt(i))) {
                i++;
            }
        }
        String rest = s.substring(i);
        if (rest.indexOf('\n') >= 0) {
            rest = NEXT_LINE_CODES.matcher(rest).replaceAll("\n");
        }
        return new SmtpReply(code, enhanced, rest);
    }

    /** Where an enhanced status code starting at {@code i} ends, when white space follows it; else -1. */
    private static int enhancedCodeEnd(String s, int i) {
        if (i + 1 >= s.length() || "245".indexOf(s.charAt(i)) < 0 || s.charAt(i + 1) != '.') {
            return -1;
        }
        int j = digitsEnd(s, i + 2);
        if (j < 0 || j >= s.length() || s.charAt(j) != '.') {
            return -1;
        }
        j = digitsEnd(s, j + 1);
        return j < 0 || j >= s.length() || !isSpace(s.charAt(j)) ? -1 : j;
    }

    /** The end of a run of one to three digits at {@code i}; -1 when there is none or it is longer. */
    private static int digitsEnd(String s, int i) {
        int j = i;
        while (j < s.length() && isDigit(s, j)) {
            j++;
        }
        return j == i || j - i > 3 ? -1 : j;
    }

    private static boolean isDigit(String s, int i) {
        char c = s.charAt(i);
        return c >= '0' && c <= '9';
    }

    /** {@code \s} of java.util.regex. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    public boolean isPositive() {
        return code >= 200 && code < 400;
    }

    /** 4xx: try again later. */
    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /** 5xx: the same mail will be refused again. */
    public boolean isPermanent() {
        return code >= 500 && code < 600;
    }

    /** 421 and similar: the server is closing the connection. */
    public boolean closesConnection() {
        return code == 421;
    }

    @Override
    public String toString() {
        return code + (enhanced.isEmpty() ? "" : " " + enhanced) + (text.isEmpty() ? "" : " " + text.replace('\n', ' '));
    }
}
