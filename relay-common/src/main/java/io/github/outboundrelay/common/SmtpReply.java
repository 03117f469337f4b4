package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.PrintableText;

import java.util.regex.Matcher;
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
    private static final Pattern LINE = Pattern.compile("^(\\d{3})[ -]?(?:([245]\\.\\d{1,3}\\.\\d{1,3})\\s+)?(.*)$", Pattern.DOTALL);
    /** The codes in front of each further line of a multi-line reply. Compiled once: every reply is parsed. */
    private static final Pattern NEXT_LINE_CODES = Pattern.compile("\\s*\\r?\\n\\d{3}[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s+)?");

    public SmtpReply {
        enhanced = enhanced == null ? "" : enhanced;
        text = text == null ? "" : PrintableText.escapeLines(text.strip());
    }

    /** Parses {@code "535 5.7.8 Authentication credentials invalid"}; null when the text holds no reply code. */
    public static SmtpReply parse(String reply) {
        if (reply == null) {
            return null;
        }
        Matcher m = LINE.matcher(reply.strip());
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(3);
        if (rest.indexOf('\n') >= 0) {
            rest = NEXT_LINE_CODES.matcher(rest).replaceAll("\n");
        }
        return new SmtpReply(Integer.parseInt(m.group(1)), m.group(2), rest);
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
