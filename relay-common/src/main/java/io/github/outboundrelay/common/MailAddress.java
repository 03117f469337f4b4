package io.github.outboundrelay.common;

import java.util.regex.Pattern;

/**
 * A validated mailbox: {@code alice@example.com} or {@code "Alice Example" <alice@example.com>}.
 * Non-ASCII local parts and domains are accepted here and need a relay that offers SMTPUTF8.
 *
 * <pre>{@code
 * MailAddress to = MailAddress.parse("Alice <alice@example.com>", "to");
 * }</pre>
 *
 * @param address     {@code local@domain}
 * @param displayName the name shown to people, or empty
 */
public record MailAddress(String address, String displayName) {
    // atext of RFC 5322 plus dots, and any non-ASCII character (RFC 6531). No quoted local parts: relays mangle them.
    private static final Pattern LOCAL = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF]+)*");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9\\u0080-\\uFFFF]([A-Za-z0-9\\-\\u0080-\\uFFFF]{0,61}[A-Za-z0-9\\u0080-\\uFFFF])?");
    private static final Pattern IP_LITERAL = Pattern.compile("\\[[0-9A-Fa-f:.]+]|\\[IPv6:[0-9A-Fa-f:.]+]");

    public MailAddress {
        displayName = displayName == null ? "" : displayName.strip();
    }

    /**
     * Parses one address as a person writes it; {@code field} names the form field in the error.
     *
     * @throws InvalidInputException naming {@code field} when the address is malformed or holds a line break
     */
    public static MailAddress parse(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(field, "is empty", "Enter an address such as name@example.com");
        }
        rejectControlCharacters(text, field);
        String trimmed = text.strip();
        String name = "";
        String addr = trimmed;
        int lt = trimmed.lastIndexOf('<');
        if (lt >= 0) {
            if (!trimmed.endsWith(">")) {
                throw invalid(field, text, "an opening < without a closing >");
            }
            name = unquote(trimmed.substring(0, lt).strip());
            addr = trimmed.substring(lt + 1, trimmed.length() - 1).strip();
        }
        return of(addr, name, field);
    }

    /** An address and a separate display name, as forms hold them. */
    public static MailAddress of(String address, String displayName, String field) {
        if (address == null || address.isBlank()) {
            throw new InvalidInputException(field, "is empty", "Enter an address such as name@example.com");
        }
        rejectControlCharacters(address, field);
        if (displayName != null) {
            rejectControlCharacters(displayName, field);
        }
        String addr = address.strip();
        int at = addr.lastIndexOf('@');
        if (at <= 0 || at == addr.length() - 1) {
            throw invalid(field, address, "no local part and domain around an @");
        }
        String local = addr.substring(0, at);
        String domain = addr.substring(at + 1);
        if (local.length() > 64 || !LOCAL.matcher(local).matches()) {
            throw invalid(field, address, "a local part with characters an SMTP relay does not accept");
        }
        if (domain.length() > 255 || !isDomain(domain)) {
            throw invalid(field, address, "a domain that is not a host name");
        }
        return new MailAddress(addr, displayName);
    }

    /** Whether sending to or from this address needs the relay's SMTPUTF8 extension. */
    public boolean needsUtf8() {
        return !isAscii(address);
    }

    public String domain() {
        return address.substring(address.lastIndexOf('@') + 1);
    }

    @Override
    public String toString() {
        return displayName.isEmpty() ? address : '"' + displayName + "\" <" + address + '>';
    }

    public static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 127) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDomain(String domain) {
        if (IP_LITERAL.matcher(domain).matches()) {
            return true;
        }
        String[] labels = domain.split("\\.", -1);
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static String unquote(String name) {
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return name;
    }

    /** Header injection guard: a CR or LF in any header value, display name or address is refused outright. */
    static void rejectControlCharacters(String value, String field) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n') {
                throw new InvalidInputException(field, "contains a line break (CR or LF)",
                        "Remove the line break; it could inject headers into the mail");
            }
            if (c == 0 || (c < 32 && c != '\t') || c == 127) {
                throw new InvalidInputException(field, "contains a control character (code " + (int) c + ")",
                        "Remove the control character");
            }
        }
    }

    private static InvalidInputException invalid(String field, String text, String why) {
        return new InvalidInputException(field, "'" + text + "' is not a valid address: " + why,
                "Enter an address such as name@example.com");
    }
}
