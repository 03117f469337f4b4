package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DomainAllowList;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.TrustSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a realm sets on its "Outbound relay" tab, beyond the Email tab. Each value is null when the realm leaves it to
 * the server-wide default ({@link ServerOptions}).
 *
 * @param rateLimitPerMinute mails per minute for this realm, 0 for no limit
 * @param fallbackRelay      {@code host:port} tried when the realm's relay fails, with the same credentials if the server
 *                           trusts it with them ({@link #fallbackRefusal})
 * @param certificatePin     {@code sha256/BASE64} pin the verified certificate path must also hold, besides the
 *                           server's pins: it narrows what the server trusts, never widens it
 * @param retryLifetimeHours how long a mail is retried before it becomes a dead letter
 * @param maskRecipients     whether logs and delivery events mask recipient addresses
 * @param allowedRecipientDomains where this realm's mail may go, within the server's
 *                           ({@link ServerMailLimits#allowedRecipientDomains()}); empty: wherever the server allows
 */
record RealmRelayOptions(Integer rateLimitPerMinute, String fallbackRelay, String certificatePin,
                         Integer retryLifetimeHours, Boolean maskRecipients, DomainAllowList allowedRecipientDomains) {

    static final String RATE_LIMIT_PER_MINUTE = "rateLimitPerMinute";
    static final String FALLBACK_RELAY = "fallbackRelay";
    static final String CERTIFICATE_PIN = "certificatePin";
    static final String RETRY_LIFETIME_HOURS = "retryLifetimeHours";
    static final String MASK_RECIPIENTS = "maskRecipients";
    static final String ALLOWED_RECIPIENT_DOMAINS = "allowedRecipientDomains";

    /** A realm that has not saved its tab. */
    static final RealmRelayOptions DEFAULTS = new RealmRelayOptions(null, null, null, null, null);

    /** A tab that restricts no recipient domain. */
    RealmRelayOptions(Integer rateLimitPerMinute, String fallbackRelay, String certificatePin, Integer retryLifetimeHours,
                      Boolean maskRecipients) {
        this(rateLimitPerMinute, fallbackRelay, certificatePin, retryLifetimeHours, maskRecipients, DomainAllowList.ANY);
    }

    RealmRelayOptions {
        allowedRecipientDomains = allowedRecipientDomains == null ? DomainAllowList.ANY : allowedRecipientDomains;
        if (rateLimitPerMinute != null && (rateLimitPerMinute < 0 || rateLimitPerMinute > 100_000)) {
            throw new InvalidInputException(RATE_LIMIT_PER_MINUTE, "is " + rateLimitPerMinute + ", outside 0..100000",
                    "Give the relay's per-minute limit for this account (Microsoft 365 allows 30), or 0 for none");
        }
        if (retryLifetimeHours != null && (retryLifetimeHours < 1 || retryLifetimeHours > 24 * 30)) {
            throw new InvalidInputException(RETRY_LIFETIME_HOURS, "is " + retryLifetimeHours + ", outside 1..720",
                    "Give the hours a mail may wait for the relay, such as 24; a reset link expires long before 30 days");
        }
        if (fallbackRelay != null) {
            HostAndPort.parse(fallbackRelay, FALLBACK_RELAY);
        }
        if (certificatePin != null) {
            try {
                TrustSettings.jvmDefault().withPins(List.of(certificatePin));
            } catch (InvalidInputException e) {
                throw new InvalidInputException(CERTIFICATE_PIN, e.problem(), e.fix());
            }
        }
    }

    /**
     * Reads the tab's stored component configuration. Blank values mean "use the server default"; keys the admin
     * console adds from its route ({@code realm}, {@code tab}) are ignored.
     *
     * @throws InvalidInputException naming the tab field that cannot be used
     */
    static RealmRelayOptions parse(Map<String, List<String>> config) {
        if (config == null) {
            return DEFAULTS;
        }
        return new RealmRelayOptions(
                integer(config, RATE_LIMIT_PER_MINUTE),
                text(config, FALLBACK_RELAY),
                text(config, CERTIFICATE_PIN),
                integer(config, RETRY_LIFETIME_HOURS),
                bool(config, MASK_RECIPIENTS),
                DomainAllowList.parse(text(config, ALLOWED_RECIPIENT_DOMAINS), ALLOWED_RECIPIENT_DOMAINS));
    }

    int effectiveRateLimitPerMinute(ServerOptions server) {
        return rateLimitPerMinute != null ? rateLimitPerMinute : server.rateLimitPerMinute();
    }

    Duration effectiveRetryLifetime(ServerOptions server) {
        return retryLifetimeHours != null ? Duration.ofHours(retryLifetimeHours) : server.retryLifetime();
    }

    boolean effectiveMaskRecipients(ServerOptions server) {
        return maskRecipients != null ? maskRecipients : server.maskRecipients();
    }

    /**
     * Refuses a recipient outside the server's allowed domains or outside the realm's: both lists apply, so a realm
     * can narrow what the server allows and never widen it.
     *
     * @throws InvalidInputException naming {@code to}, the list that refused and who can change it
     */
    void checkRecipient(MailAddress recipient, ServerOptions server) {
        server.limits().allowedRecipientDomains().check(recipient, "to", "the server option "
                + ServerOptions.option(ServerMailLimits.ALLOWED_RECIPIENT_DOMAINS) + " (set by whoever runs Keycloak)");
        allowedRecipientDomains.check(recipient, "to", "the realm's Outbound relay tab, 'Allowed recipient domains'");
    }

    /**
     * The fallback relays the queue uses, in order: the realm's own first, unless it is refused
     * ({@link #fallbackRefusal}), then the server's.
     *
     * @param authenticates whether the Email tab sends credentials, which every fallback relay gets too
     */
    List<String> effectiveFallbackRelays(ServerOptions server, boolean authenticates) {
        List<String> relays = new ArrayList<>();
        if (fallbackRelay != null && fallbackRefusal(server, authenticates).isEmpty()) {
            relays.add(fallbackRelay);
        }
        server.fallbackRelays().stream().filter(r -> !relays.contains(r)).forEach(relays::add);
        return List.copyOf(relays);
    }

    /**
     * The server's trust with the realm's pin as a further pin set: a relay must match one of the server's pins
     * <em>and</em> the realm's. Merged into one list, any match would pass, and a realm administrator's pin would
     * let a certificate through that the server's pins refuse.
     */
    TrustSettings effectiveTrust(ServerOptions server) {
        return server.trust().andPins(certificatePin == null ? List.of() : List.of(certificatePin));
    }

    /**
     * Why the realm's fallback relay may not be used: it would get the Email tab's credentials, and it is neither one
     * of the server's fallback relays nor on {@code credential-hosts}. A realm administrator who could name any relay
     * there would receive the stored password as soon as the realm's relay failed. Empty when it may be used.
     */
    Optional<InvalidInputException> fallbackRefusal(ServerOptions server, boolean authenticates) {
        if (fallbackRelay == null || !authenticates) {
            return Optional.empty();
        }
        HostAndPort relay = HostAndPort.parse(fallbackRelay, FALLBACK_RELAY);
        if (server.trustsWithCredentials(relay.host(), relay.port())) {
            return Optional.empty();
        }
        return Optional.of(new InvalidInputException(FALLBACK_RELAY, "'" + fallbackRelay + "' would get the Email tab's "
                + "credentials, and the server does not trust that relay with them",
                "Leave the fallback relay empty, or ask whoever runs Keycloak to add " + relay.host() + " to "
                        + ServerOptions.option(ServerOptions.CREDENTIAL_HOSTS)));
    }

    private static String text(Map<String, List<String>> config, String key) {
        List<String> values = config.get(key);
        if (values == null || values.isEmpty() || values.get(0) == null || values.get(0).isBlank()) {
            return null;
        }
        return values.get(0).strip();
    }

    private static Integer integer(Map<String, List<String>> config, String key) {
        String value = text(config, key);
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(key, "'" + value + "' is not a whole number", "Give a number such as 30, or leave it empty for the server default");
        }
    }

    private static Boolean bool(Map<String, List<String>> config, String key) {
        String value = text(config, key);
        return value == null ? null : Boolean.valueOf(value);
    }
}
