package io.github.outboundrelay.common.redaction;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that decides what of a secret or a recipient may be shown. Secrets are never shown: wherever one
 * would appear (a {@code Secret}'s {@code toString()}, an AUTH command or challenge in the probe's transcript) the
 * text is {@link #REDACTED}. Recipient addresses are shown masked ({@code alice@example.com} becomes
 * {@code a***@example.com}) in delivery events, dead letters, replies quoted in them and the adapters' messages,
 * unless the settings turn masking off. Adapters reach this through the API's {@code RecipientMask}.
 * (docs/architecture.md, "Where each rule lives")
 */
public final class Redaction {
    /** What stands where a secret would be. */
    public static final String REDACTED = "[redacted]";

    private static final Pattern ADDRESS = Pattern.compile("([^\\s<>\"'@,;:]+)@([A-Za-z0-9.\\-\\[\\]\\u0080-\\uFFFF]+)");

    private Redaction() {
    }

    /** {@code a***@example.com}: the first character and the domain, enough to tell mail apart. */
    public static String maskAddress(String address) {
        int at = address.lastIndexOf('@');
        if (at <= 0) {
            return "***";
        }
        return new String(Character.toChars(address.codePointAt(0))) + "***" + address.substring(at);
    }

    /** Masks every address inside free text such as a server reply ("550 5.1.1 <bob@x.org>: unknown user"). */
    public static String maskAddressesWithin(String text) {
        if (text.indexOf('@') < 0) {
            return text; // no address can be in it: the usual final reply of every mail ends here, without a regex
        }
        Matcher m = ADDRESS.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(maskAddress(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The recipients as they may be shown: masked when {@code mask}. */
    public static List<String> recipients(List<String> addresses, boolean mask) {
        if (!mask) {
            return addresses;
        }
        String[] masked = new String[addresses.size()]; // a loop, not a stream: every delivery event passes here
        for (int i = 0; i < masked.length; i++) {
            masked[i] = maskAddress(addresses.get(i));
        }
        return List.of(masked);
    }

    /** Free text (a reply, an error message) as it may be shown: its addresses masked when {@code mask}. */
    public static String text(String text, boolean mask) {
        return mask && text != null ? maskAddressesWithin(text) : text;
    }

    /** An SMTP command carrying a secret, as the transcript shows it: {@code AUTH PLAIN [redacted]}. */
    public static String command(String verbs) {
        return verbs.isEmpty() ? REDACTED : verbs + " " + REDACTED;
    }

    /** A server's AUTH challenge as the transcript shows it: a 334 may echo what the client sent. */
    public static String authChallenge(String line) {
        return line.startsWith("334") ? command("334") : null;
    }
}
