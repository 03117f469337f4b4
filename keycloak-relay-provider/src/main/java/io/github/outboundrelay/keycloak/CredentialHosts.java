package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.List;

/**
 * The server option {@code credential-hosts}: the relays, beyond each realm's saved Email tab relay and the server's
 * own fallback relays, that whoever runs Keycloak trusts with a realm's credentials. A realm's fallback relay gets the
 * Email tab's credentials only on one of them, and a realm administrator may probe only them (and the saved relay and
 * fallbacks). An entry is {@code host} (any port) or {@code host:port}, matched as written, case-insensitively and
 * without a DNS lookup: {@code localhost} does not allow {@code 127.0.0.1}.
 *
 * @param hosts each entry, with port 0 for "any port"
 */
record CredentialHosts(List<HostAndPort> hosts) {
    CredentialHosts {
        hosts = List.copyOf(hosts);
    }

    /** @throws InvalidInputException naming {@code field} for an entry that is neither host nor host:port */
    static CredentialHosts parse(List<String> entries, String field) {
        return new CredentialHosts(entries.stream().map(entry -> entry(entry, field)).toList());
    }

    boolean allows(String host, int port) {
        return hosts.stream().anyMatch(h -> h.sameAs(host, h.port() == 0 ? 0 : port));
    }

    private static HostAndPort entry(String entry, String field) {
        boolean withPort = entry.startsWith("[") ? entry.contains("]:") : entry.indexOf(':') > 0 && entry.indexOf(':') == entry.lastIndexOf(':');
        try {
            // A host alone gets the same checks as host:port, with a port that stands for "any".
            return withPort ? HostAndPort.parse(entry, field) : new HostAndPort(HostAndPort.parse(entry + ":1", field).host(), 0);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(field, "'" + entry + "' is neither a host nor host:port",
                    "Give relays such as smtp.example.com or smtp.example.com:587, comma-separated; an IPv6 address in brackets");
        }
    }
}
