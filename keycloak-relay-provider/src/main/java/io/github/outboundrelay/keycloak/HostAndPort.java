package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.Locale;

/**
 * A relay as the fallback options name it, {@code host:port} ({@code [v6]:port} for an IPv6 address).
 *
 * @param host the host name or address, bare (an IPv6 address without its brackets), as {@code RelaySettings} takes it
 * @param port 1 to 65535
 */
record HostAndPort(String host, int port) {

    /** @throws InvalidInputException naming {@code field} when {@code value} is not {@code host:port} */
    static HostAndPort parse(String value, String field) {
        int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : "";
        String port = colon > 0 ? value.substring(colon + 1) : "";
        boolean hostOk = !host.isEmpty() && !host.contains("/") && !host.contains("@")
                && host.chars().noneMatch(Character::isWhitespace)
                && (host.indexOf(':') < 0 || host.startsWith("[") && host.endsWith("]"));
        boolean portOk = port.matches("[0-9]{1,5}") && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
        if (!hostOk || !portOk) {
            throw new InvalidInputException(field, "'" + value + "' is not host:port",
                    "Give the relay as host:port, such as smtp2.example.com:587");
        }
        return new HostAndPort(bare(host), Integer.parseInt(port));
    }

    /** An IPv6 address without its brackets; anything else as it is. */
    static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** Whether this names the same host (case-insensitively: DNS names are) and port. */
    boolean sameAs(String otherHost, int otherPort) {
        return port == otherPort && host.toLowerCase(Locale.ROOT).equals(bare(otherHost).toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
