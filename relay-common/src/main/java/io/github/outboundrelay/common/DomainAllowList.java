package io.github.outboundrelay.common;

import java.net.IDN;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The mail domains a sender may use, or a recipient may be at: what keeps a relay account from being used to mail
 * anyone, anywhere. An entry {@code example.com} allows exactly that domain; {@code *.example.com} allows every
 * subdomain of it (not {@code example.com} itself, which gets its own entry). Case and the Unicode or ASCII
 * ({@code xn--}) spelling of a domain do not matter. An empty list restricts nothing: whoever uses it decides what
 * empty means ({@link #isEmpty}).
 *
 * <pre>{@code
 * DomainAllowList allowed = DomainAllowList.parse("example.com, *.example.org", "allowedRecipientDomains");
 * allowed.check(MailAddress.parse("eve@evil.test", "to"), "to", "the allowed recipient domains");
 * // InvalidInputException: to: 'eve@evil.test' is outside the allowed domains (example.com, *.example.org). ...
 * }</pre>
 */
public final class DomainAllowList {
    /** Restricts nothing. */
    public static final DomainAllowList ANY = new DomainAllowList(List.of());
    private static final Pattern SEPARATORS = Pattern.compile("[,;\\s]+");
    private static final Pattern ASCII_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final List<String> entries;

    private DomainAllowList(List<String> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Reads a list as an administrator types it: entries separated by commas, semicolons, spaces or line breaks.
     *
     * @param field the setting's name, for the error
     * @throws InvalidInputException naming {@code field} when an entry is not a domain or {@code *.domain}
     */
    public static DomainAllowList parse(String text, String field) {
        if (text == null || text.isBlank()) {
            return ANY;
        }
        List<String> entries = new ArrayList<>();
        for (String raw : SEPARATORS.split(text.strip())) {
            String entry = raw.toLowerCase(Locale.ROOT);
            String domain = entry.startsWith("*.") ? entry.substring(2) : entry;
            if (ascii(domain) == null) {
                throw new InvalidInputException(field, "'" + raw + "' is not a domain",
                        "Give domains such as example.com, or *.example.com for its subdomains, separated by commas");
            }
            if (!entries.contains(entry)) {
                entries.add(entry);
            }
        }
        return new DomainAllowList(entries);
    }

    /** The entries as given (lower case), in order. */
    public List<String> entries() {
        return entries;
    }

    /** Whether this list restricts nothing. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Whether {@code address}'s domain is on the list; an empty list allows every address. */
    public boolean allows(MailAddress address) {
        if (entries.isEmpty()) {
            return true;
        }
        String domain = ascii(address.domain().toLowerCase(Locale.ROOT));
        if (domain == null) {
            return false; // an IP literal or a name IDN cannot spell: on no list
        }
        for (String entry : entries) {
            boolean wildcard = entry.startsWith("*.");
            String allowed = ascii(wildcard ? entry.substring(2) : entry);
            if (wildcard ? domain.endsWith("." + allowed) : domain.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses an address outside the list.
     *
     * @param field   the message field the address came from ({@code to}, {@code from})
     * @param setting where an administrator changes the list, for the fix
     * @throws InvalidInputException naming {@code field} when the address is not allowed
     */
    public void check(MailAddress address, String field, String setting) {
        if (!allows(address)) {
            throw new InvalidInputException(field, "'" + address.address() + "' is outside the allowed domains (" + this + ")",
                    "Use an address at one of them, or ask an administrator to add its domain to " + setting);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DomainAllowList other && other.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return String.join(", ", entries);
    }

    /** The ASCII spelling of a host name, or null when it is not one (an IP literal, an empty label). */
    private static String ascii(String domain) {
        try {
            String ascii = IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            if (ascii.isEmpty() || ascii.length() > 253) {
                return null;
            }
            return Arrays.stream(ascii.split("\\.", -1)).allMatch(l -> ASCII_LABEL.matcher(l).matches()) ? ascii : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
