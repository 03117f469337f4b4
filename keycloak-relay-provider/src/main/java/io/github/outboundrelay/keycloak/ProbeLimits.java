package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Timeouts;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a realm administrator's probe, and the console's "Test connection", may do with settings they name: connect
 * only to the realm's saved relay, its fallback relays and the relays whoever runs Keycloak listed
 * ({@code credential-hosts}); fetch a token only from the saved token URL or a listed host; and wait at most
 * {@value #STEP_LIMIT_SECONDS} s at any step, whatever timeouts the settings give. Without these limits, manage-realm
 * would be enough to scan the server's network, read the banners of what answers and hold request threads for ten
 * minutes each.
 */
final class ProbeLimits {
    static final int STEP_LIMIT_SECONDS = 15;
    /** The longest TCP connect. */
    static final Duration CONNECT = Duration.ofSeconds(3);
    /**
     * The longest wait for a reply, and for a write. The longest steps stay within the limit: a token request (connect,
     * then the answer: 9 s), and a greeting that never comes, after which the engine checks whether the port speaks
     * implicit TLS (6 s, then a connect and a handshake of at most 5 s: 14 s).
     */
    static final Duration WAIT = Duration.ofSeconds(6);

    private ProbeLimits() {
    }

    /**
     * Why these settings may not be probed, naming the field to change; empty when they may.
     *
     * @param saved the realm's saved Email tab (the relay and token URL it names are allowed), possibly empty
     * @param tab   the realm's saved Outbound relay tab, whose fallback relay is allowed
     */
    static Optional<InvalidInputException> refusal(RelaySettings settings, Map<String, String> saved, RealmRelayOptions tab,
                                                   ServerOptions server) {
        List<HostAndPort> allowed = new ArrayList<>();
        savedRelay(saved).ifPresent(allowed::add);
        if (tab.fallbackRelay() != null) {
            allowed.add(HostAndPort.parse(tab.fallbackRelay(), RealmRelayOptions.FALLBACK_RELAY));
        }
        String host = settings.host();
        int port = settings.port();
        if (allowed.stream().noneMatch(relay -> relay.sameAs(host, port)) && !server.trustsWithCredentials(host, port)) {
            boolean knownHost = allowed.stream().anyMatch(relay -> relay.sameAs(host, relay.port()));
            return Optional.of(new InvalidInputException(knownHost ? "port" : "host",
                    "'" + new HostAndPort(host, port) + "' is not this realm's saved relay, one of its fallback relays, "
                            + "or a relay the server lists",
                    "Save the Email tab and probe the saved settings, or ask whoever runs Keycloak to add " + host + " to "
                            + ServerOptions.option(ServerOptions.CREDENTIAL_HOSTS)));
        }
        if (settings.authentication() instanceof Authentication.OAuth2 oauth2 && !tokenUrlAllowed(oauth2.tokenUrl(), saved, server)) {
            return Optional.of(new InvalidInputException("authTokenUrl",
                    "'" + oauth2.tokenUrl() + "' is not this realm's saved token URL, nor on a host the server lists",
                    "Save the Email tab and probe the saved settings, or ask whoever runs Keycloak to add "
                            + oauth2.tokenUrl().getHost() + " to " + ServerOptions.option(ServerOptions.CREDENTIAL_HOSTS)));
        }
        return Optional.empty();
    }

    /** The settings with every timeout cut to the probe's limits. */
    static RelaySettings capped(RelaySettings settings) {
        Timeouts t = settings.timeouts();
        Timeouts limited = new Timeouts(min(t.connect(), CONNECT), min(t.read(), WAIT), min(t.write(), WAIT));
        return limited.equals(t) ? settings : settings.toBuilder().timeouts(limited).build();
    }

    private static Optional<HostAndPort> savedRelay(Map<String, String> saved) {
        String host = saved == null ? null : SmtpServerMapping.text(saved, "host");
        if (host == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new HostAndPort(HostAndPort.bare(host), SmtpServerMapping.port(saved)));
        } catch (InvalidInputException e) {
            return Optional.empty(); // a saved port that is not a number allows nothing
        }
    }

    private static boolean tokenUrlAllowed(URI tokenUrl, Map<String, String> saved, ServerOptions server) {
        String savedUrl = saved == null ? null : SmtpServerMapping.text(saved, "authTokenUrl");
        if (tokenUrl.toString().equals(savedUrl)) {
            return true;
        }
        int port = tokenUrl.getPort() != -1 ? tokenUrl.getPort() : "http".equalsIgnoreCase(tokenUrl.getScheme()) ? 80 : 443;
        return tokenUrl.getHost() != null && server.credentialHosts().allows(tokenUrl.getHost(), port);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
