package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;

/** Checks the {@code host:port} form of a fallback relay ({@code [v6]:port} for an IPv6 address). */
final class HostAndPort {
    private HostAndPort() {
    }

    static void check(String value, String field) {
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
    }
}
