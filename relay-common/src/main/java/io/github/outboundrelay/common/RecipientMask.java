package io.github.outboundrelay.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks addresses for logs and admin pages: {@code alice@example.com} becomes {@code a***@example.com}.
 *
 * <pre>{@code
 * String shown = settings.maskRecipients() ? RecipientMask.mask(address) : address;
 * }</pre>
 */
public final class RecipientMask {
    private static final Pattern ADDRESS = Pattern.compile("([^\\s<>\"'@,;:]+)@([A-Za-z0-9.\\-\\[\\]\\u0080-\\uFFFF]+)");

    private RecipientMask() {
    }

    public static String mask(String address) {
        int at = address.lastIndexOf('@');
        if (at <= 0) {
            return "***";
        }
        return new String(Character.toChars(address.codePointAt(0))) + "***" + address.substring(at);
    }

    /** Masks every address inside free text such as a server reply ("550 5.1.1 <bob@x.org>: unknown user"). */
    public static String maskWithin(String text) {
        Matcher m = ADDRESS.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(mask(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }
}
