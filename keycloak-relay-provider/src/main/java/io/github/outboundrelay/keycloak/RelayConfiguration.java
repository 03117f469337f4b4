package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Throttle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one realm's mail goes out with: the Email tab's settings, the Outbound relay tab's options and the
 * server's defaults. Equal configurations share one {@link RealmRelay}; a changed one gets a new relay.
 *
 * @param settings the engine settings, from the Email tab and the server options
 * @param realm    the realm's Outbound relay tab
 * @param server   the server-wide provider options
 * @param debug    the Email tab's "debug" switch: a failed delivery also logs the probe's redacted transcript
 * @param bounces  the realm's bounce mailbox (Outbound relay tab): a change rebuilds the realm's queue and its
 *                 bounce handling
 */
record RelayConfiguration(RelaySettings settings, RealmRelayOptions realm, ServerOptions server, boolean debug,
                          BounceOptions bounces) {

    /** A realm without a bounce mailbox. */
    RelayConfiguration(RelaySettings settings, RealmRelayOptions realm, ServerOptions server, boolean debug) {
        this(settings, realm, server, debug, BounceOptions.NONE);
    }

    /**
     * The same configuration with the realm's bounce mailbox. With VERP on, each relay sends a single-recipient mail
     * from the VERP form of its envelope sender (or From), and the mailbox matches the reports returned to it
     * (docs/bounces.md "VERP").
     */
    RelayConfiguration withBounces(BounceOptions other) {
        MailAddress sender = settings.envelopeFrom() != null ? settings.envelopeFrom() : settings.from();
        if (!other.verp() || other.mailbox() == null || sender == null) {
            return new RelayConfiguration(settings, realm, server, debug, other);
        }
        return new RelayConfiguration(settings.toBuilder().verp(true).build(), realm, server, debug,
                other.withVerpSender(sender.address()));
    }

    /**
     * The relays in failover order: the Email tab's first, then the fallbacks, each with the Email tab's TLS mode,
     * credentials, trust (pins included) and addresses; only host and port differ. A realm's fallback relay the
     * server does not trust with the credentials is left out ({@link RealmRelayOptions#fallbackRefusal}).
     */
    List<RelaySettings> relays() {
        List<RelaySettings> relays = new ArrayList<>();
        relays.add(settings);
        for (String fallback : fallbackRelays()) {
            HostAndPort relay = HostAndPort.parse(fallback, RealmRelayOptions.FALLBACK_RELAY);
            relays.add(settings.toBuilder().host(relay.host()).port(relay.port()).build());
        }
        return List.copyOf(relays);
    }

    /** The fallback relays in use, {@code host:port}, in failover order. */
    List<String> fallbackRelays() {
        return realm.effectiveFallbackRelays(server, settings.authentication().required());
    }

    /** Why the realm's own fallback relay is left out, or empty when it is used (or there is none). */
    Optional<InvalidInputException> fallbackRefusal() {
        return realm.fallbackRefusal(server, settings.authentication().required());
    }

    /** The same configuration with other engine settings, such as a probe's shorter timeouts. */
    RelayConfiguration withSettings(RelaySettings other) {
        return other.equals(settings) ? this : new RelayConfiguration(other, realm, server, debug, bounces);
    }

    /** The realm's rate limit as the queue's throttle, applied to each relay. */
    Throttle throttle() {
        int perMinute = realm.effectiveRateLimitPerMinute(server);
        return perMinute == 0 ? Throttle.NONE : Throttle.perMinute(perMinute);
    }

    /** The realm's spool directory. */
    Path spoolDirectory(String realmId) {
        return RealmSpools.directory(server.spoolDir(), realmId);
    }

    /** The settings in force, for the diagnostics resource: names and numbers only, never a secret. */
    Map<String, Object> describe() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("relay", settings.relayName());
        map.put("tlsMode", settings.tlsMode().name());
        map.put("authentication", describe(settings.authentication()));
        map.put("from", String.valueOf(settings.from()));
        map.put("replyTo", settings.replyTo() == null ? null : settings.replyTo().toString());
        map.put("envelopeFrom", settings.envelopeFrom() == null ? null : settings.envelopeFrom().address());
        map.put("allowUtf8", settings.allowUtf8());
        map.put("connectTimeoutMillis", settings.timeouts().connect().toMillis());
        map.put("readTimeoutMillis", settings.timeouts().read().toMillis());
        map.put("writeTimeoutMillis", settings.timeouts().write().toMillis());
        map.put("trust", settings.trust().source().name());
        map.put("certificatePins", settings.trust().pinSets()); // each set must match
        map.put("maskRecipients", settings.maskRecipients());
        map.put("maxConnections", settings.maxConnections());
        map.put("rateLimitPerMinute", realm.effectiveRateLimitPerMinute(server));
        map.put("retryLifetimeHours", realm.effectiveRetryLifetime(server).toHours());
        map.put("fallbackRelays", fallbackRelays());
        fallbackRefusal().ifPresent(refused -> map.put("fallbackRelayNotUsed", refused.getMessage()));
        map.put("maxQueuedPerRealm", server.limits().maxQueuedPerRealm());
        map.put("serverAllowedRecipientDomains", server.limits().allowedRecipientDomains().entries());
        map.put("realmAllowedRecipientDomains", realm.allowedRecipientDomains().entries());
        map.put("debug", debug);
        map.put("bounces", bounces.describe());
        return map;
    }

    private static String describe(Authentication authentication) {
        if (authentication instanceof Authentication.Password p) {
            return "password (user " + p.username() + ")";
        }
        if (authentication instanceof Authentication.OAuth2 o) {
            return "oauth2 (user " + o.username() + ", token URL " + o.tokenUrl() + ")";
        }
        return "none";
    }
}
