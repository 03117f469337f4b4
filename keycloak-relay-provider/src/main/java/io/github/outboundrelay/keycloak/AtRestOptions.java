package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.InvalidInputException;
import java.time.Duration;
import java.util.function.Function;

/**
 * How queued mail is kept at rest, as provider options ({@code --spi-email-sender--relay--KEY=VALUE}) read once at
 * startup beside {@link ServerOptions}, and the realm keys that seal it. Mail bodies carry reset and action links:
 * they are encrypted with the realm's AES key ({@link RealmBodyKeys}) in files and in the database alike, and dead
 * letters and quarantined rows keep them only for the retention.
 *
 * @param deadLetterBodyRetention how long dead letters and quarantined mail keep their body; zero deletes it within
 *                                seconds (such a dead letter can be listed and purged, not retried)
 * @param ciphers                 the cipher of a realm's spool, by realm id
 */
record AtRestOptions(Duration deadLetterBodyRetention, Function<String, BodyCipher> ciphers) {
    static final String DEAD_LETTER_BODY_RETENTION_HOURS = "dead-letter-body-retention-hours";
    static final int DEFAULT_DEAD_LETTER_BODY_RETENTION_HOURS = 24;
    static final int MAX_DEAD_LETTER_BODY_RETENTION_HOURS = 720;

    /** Bodies stored as they are (tests without a Keycloak), kept for the default retention. */
    static final AtRestOptions UNENCRYPTED = new AtRestOptions(Duration.ofHours(DEFAULT_DEAD_LETTER_BODY_RETENTION_HOURS),
            realmId -> BodyCipher.NONE);

    /**
     * Reads the options through {@code lookup} (the provider's {@code Config.Scope::get}).
     *
     * @throws InvalidInputException naming the option as typed
     */
    static AtRestOptions parse(Function<String, String> lookup, Function<String, BodyCipher> ciphers) {
        String value = lookup.apply(DEAD_LETTER_BODY_RETENTION_HOURS);
        int hours = DEFAULT_DEAD_LETTER_BODY_RETENTION_HOURS;
        if (value != null && !value.isBlank()) {
            try {
                hours = Integer.parseInt(value.strip());
            } catch (NumberFormatException e) {
                hours = -1;
            }
            if (hours < 0 || hours > MAX_DEAD_LETTER_BODY_RETENTION_HOURS) {
                throw new InvalidInputException(ServerOptions.option(DEAD_LETTER_BODY_RETENTION_HOURS), "is '" + value + "'",
                        "Use a whole number of hours from 0 to " + MAX_DEAD_LETTER_BODY_RETENTION_HOURS + " (default "
                                + DEFAULT_DEAD_LETTER_BODY_RETENTION_HOURS + "; 0 deletes a dead letter's body at once)");
            }
        }
        return new AtRestOptions(Duration.ofHours(hours), ciphers);
    }

    BodyCipher cipher(String realmId) {
        return ciphers.apply(realmId);
    }
}
