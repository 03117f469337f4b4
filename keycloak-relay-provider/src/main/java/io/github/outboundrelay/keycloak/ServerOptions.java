package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.TrustSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Server-wide defaults, given as provider options ({@code --spi-email-sender--relay--KEY=VALUE}) and read once when
 * Keycloak starts. Defaults live here and nowhere else; {@link RelayEmailSenderProviderFactory#getConfigMetadata()}
 * documents each key.
 *
 * @param spoolDir          where the durable queue keeps mail not yet delivered, one directory per realm below it
 * @param rateLimitPerMinute mails per minute per realm when the realm's tab sets none; 0 for no limit (queue throttle)
 * @param retryLifetime     how long a mail is retried before it becomes a dead letter (queue retry schedule)
 * @param fallbackRelays    {@code host:port} relays tried, in order, when the realm's relay fails (queue failover)
 * @param trust             certificates accepted from every relay: a PEM bundle, or the JVM's trust store, which in
 *                          Keycloak includes {@code --truststore-paths}
 * @param pins              {@code sha256/BASE64} key pins every relay must match, in addition to the chain
 * @param maskRecipients    whether logs and delivery events mask recipient addresses unless a realm says otherwise
 * @param allowCredentialsOverPlaintext whether AUTH may cross an unencrypted connection (only for a relay on this host)
 * @param heloName          the name given in EHLO, or null for this host's name
 * @param maxConnections    open connections kept per realm relay, and the queue's senders for it
 * @param maxMessageSizeMb  the largest mail accepted, in MiB of content; a larger one is refused before it is queued
 * @param credentialHosts   relays besides a realm's own and the server's fallbacks that may receive a realm's
 *                          credentials (as its fallback relay) and that its administrators may probe
 * @param limits            what no realm may exceed: mail queued per realm, recipient domains
 */
record ServerOptions(
        Path spoolDir,
        int rateLimitPerMinute,
        Duration retryLifetime,
        List<String> fallbackRelays,
        TrustSettings trust,
        List<String> pins,
        boolean maskRecipients,
        boolean allowCredentialsOverPlaintext,
        String heloName,
        int maxConnections,
        int maxMessageSizeMb,
        CredentialHosts credentialHosts,
        ServerMailLimits limits) {

    static final String SPOOL_DIR = "spool-dir";
    static final String RATE_LIMIT_PER_MINUTE = "rate-limit-per-minute";
    static final String RETRY_LIFETIME_HOURS = "retry-lifetime-hours";
    static final String FALLBACK_RELAYS = "fallback-relays";
    static final String TRUST_BUNDLE = "trust-bundle";
    static final String CERTIFICATE_PINS = "certificate-pins";
    static final String MASK_RECIPIENTS = "mask-recipients";
    static final String ALLOW_CREDENTIALS_OVER_PLAINTEXT = "allow-credentials-over-plaintext";
    static final String HELO_NAME = "helo-name";
    static final String MAX_CONNECTIONS = "max-connections";
    static final String MAX_MESSAGE_SIZE_MB = "max-message-size-mb";
    static final String CREDENTIAL_HOSTS = "credential-hosts";

    static final int DEFAULT_RATE_LIMIT_PER_MINUTE = 60;
    static final int DEFAULT_RETRY_LIFETIME_HOURS = 24;
    static final int DEFAULT_MAX_CONNECTIONS = 2;
    static final int DEFAULT_MAX_MESSAGE_SIZE_MB = (int) (RelaySettings.DEFAULT_MAX_MESSAGE_BYTES >> 20);

    ServerOptions {
        fallbackRelays = List.copyOf(fallbackRelays);
        pins = List.copyOf(pins);
        try {
            trust = trust.withPins(pins); // validates every pin now, at startup
        } catch (InvalidInputException e) {
            throw new InvalidInputException(option(CERTIFICATE_PINS), e.problem(), e.fix());
        }
    }

    /**
     * Reads the options through {@code lookup} (the provider's {@code Config.Scope::get}); a missing option is null.
     *
     * @param keycloakHome Keycloak's home directory, under whose {@code data/} the spool goes by default
     * @throws InvalidInputException naming the option that cannot be used
     */
    static ServerOptions parse(Function<String, String> lookup, Path keycloakHome) {
        String spool = text(lookup, SPOOL_DIR);
        String bundle = text(lookup, TRUST_BUNDLE);
        return new ServerOptions(
                spool != null ? Path.of(spool) : keycloakHome.resolve("data").resolve("outbound-relay").resolve("spool"),
                integer(lookup, RATE_LIMIT_PER_MINUTE, DEFAULT_RATE_LIMIT_PER_MINUTE, 0, 100_000),
                Duration.ofHours(integer(lookup, RETRY_LIFETIME_HOURS, DEFAULT_RETRY_LIFETIME_HOURS, 1, 24 * 30)),
                relays(lookup),
                bundle == null ? TrustSettings.jvmDefault() : TrustSettings.pem(readBundle(bundle)),
                list(lookup, CERTIFICATE_PINS),
                bool(lookup, MASK_RECIPIENTS, true),
                bool(lookup, ALLOW_CREDENTIALS_OVER_PLAINTEXT, false),
                text(lookup, HELO_NAME),
                integer(lookup, MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS, 1, 100),
                integer(lookup, MAX_MESSAGE_SIZE_MB, DEFAULT_MAX_MESSAGE_SIZE_MB, 1, (int) (RelaySettings.MAX_MAX_MESSAGE_BYTES >> 20)),
                CredentialHosts.parse(list(lookup, CREDENTIAL_HOSTS), option(CREDENTIAL_HOSTS)),
                ServerMailLimits.parse(lookup));
    }

    /**
     * Whether a relay the realm did not save as its Email tab relay may receive the realm's credentials: one of the
     * server's fallback relays, or a host on {@code credential-hosts}. Both are set by whoever runs Keycloak.
     */
    boolean trustsWithCredentials(String host, int port) {
        return credentialHosts.allows(host, port)
                || fallbackRelays.stream().anyMatch(r -> HostAndPort.parse(r, option(FALLBACK_RELAYS)).sameAs(host, port));
    }

    private static String readBundle(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(option(TRUST_BUNDLE), "cannot read " + file + " (" + e + ")",
                    "Give the path of a readable PEM file holding the relay's CA certificate(s)");
        }
    }

    private static List<String> relays(Function<String, String> lookup) {
        List<String> relays = list(lookup, FALLBACK_RELAYS);
        relays.forEach(r -> HostAndPort.parse(r, option(FALLBACK_RELAYS)));
        return relays;
    }

    static String text(Function<String, String> lookup, String key) {
        String value = lookup.apply(key);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static List<String> list(Function<String, String> lookup, String key) {
        String value = text(lookup, key);
        return value == null ? List.of()
                : Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static boolean bool(Function<String, String> lookup, String key, boolean defaultValue) {
        String value = text(lookup, key);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException(option(key), "is '" + value + "'", "Use true or false");
        };
    }

    static int integer(Function<String, String> lookup, String key, int defaultValue, int min, int max) {
        String value = text(lookup, key);
        if (value == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the allowed range
        }
        throw new InvalidInputException(option(key), "is '" + value + "'",
                "Use a whole number from " + min + " to " + max + " (default " + defaultValue + ")");
    }

    /** {@link #maxMessageSizeMb} in bytes, for the engine's settings. */
    long maxMessageBytes() {
        return (long) maxMessageSizeMb << 20;
    }

    /** The option as an administrator types it, for error messages. */
    static String option(String key) {
        return "--spi-email-sender--relay--" + key;
    }
}
