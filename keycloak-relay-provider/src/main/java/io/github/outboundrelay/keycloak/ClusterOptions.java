package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * Where the queue keeps its mail, and how often the bounce counts are shared, as provider options ({@code --spi-email-sender--relay--KEY=VALUE}); read once at
 * startup beside {@link ServerOptions}.
 *
 * @param queueStore where mail waits: {@code auto} (the default) picks the database whenever Keycloak runs on a real
 *                   one and files under {@link ServerOptions#spoolDir()} on dev-file / dev-mem (H2)
 * @param claimLease how long a node's claim on a mail holds without renewal: after a node dies, the others send its
 *                   mail once this has passed
 * @param bounceCountFlush how often a node writes its bounce and complaint counts to the database, where every node's
 *                   rates read them (docs/keycloak.md, "Bounces")
 */
record ClusterOptions(QueueStoreChoice queueStore, Duration claimLease, Duration bounceCountFlush) {
    static final String QUEUE_STORE = "queue-store";
    static final String CLAIM_LEASE_SECONDS = "claim-lease-seconds";
    static final int DEFAULT_CLAIM_LEASE_SECONDS = 60;
    static final String BOUNCE_COUNT_FLUSH_SECONDS = "bounce-count-flush-seconds";
    static final int DEFAULT_BOUNCE_COUNT_FLUSH_SECONDS = 30;

    /** The option's values. */
    enum QueueStoreChoice { AUTO, FILE, DATABASE }

    static ClusterOptions parse(Function<String, String> lookup) {
        String store = lookup.apply(QUEUE_STORE);
        QueueStoreChoice choice = QueueStoreChoice.AUTO;
        if (store != null && !store.isBlank()) {
            try {
                choice = QueueStoreChoice.valueOf(store.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(ServerOptions.option(QUEUE_STORE), "is '" + store + "'",
                        "Use auto (database unless Keycloak runs on dev-file), file or database");
            }
        }
        String lease = lookup.apply(CLAIM_LEASE_SECONDS);
        int seconds = DEFAULT_CLAIM_LEASE_SECONDS;
        if (lease != null && !lease.isBlank()) {
            try {
                seconds = Integer.parseInt(lease.strip());
            } catch (NumberFormatException e) {
                seconds = -1;
            }
            if (seconds < 5 || seconds > 3600) {
                throw new InvalidInputException(ServerOptions.option(CLAIM_LEASE_SECONDS), "is '" + lease + "'",
                        "Use a whole number of seconds from 5 to 3600 (default " + DEFAULT_CLAIM_LEASE_SECONDS + ")");
            }
        }
        return new ClusterOptions(choice, Duration.ofSeconds(seconds), Duration.ofSeconds(flushSeconds(lookup)));
    }

    private static int flushSeconds(Function<String, String> lookup) {
        String text = lookup.apply(BOUNCE_COUNT_FLUSH_SECONDS);
        if (text == null || text.isBlank()) {
            return DEFAULT_BOUNCE_COUNT_FLUSH_SECONDS;
        }
        int seconds;
        try {
            seconds = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 1 || seconds > 3600) {
            throw new InvalidInputException(ServerOptions.option(BOUNCE_COUNT_FLUSH_SECONDS), "is '" + text + "'",
                    "Use a whole number of seconds from 1 to 3600 (default " + DEFAULT_BOUNCE_COUNT_FLUSH_SECONDS + ")");
        }
        return seconds;
    }
}
