package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.ThrottleBudget;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Where the realms' queues keep their mail and their rate-limit budgets: files on this node
 * ({@link FileQueueStore}), or Keycloak's database, shared by every node of a cluster ({@link DatabaseQueueStore}).
 * One per Keycloak node, chosen once at startup by {@link #choose}: the one place the two differ.
 */
sealed interface QueueStore extends AutoCloseable permits FileQueueStore, DatabaseQueueStore {

    /** A realm's spool: the same mail on every node that opens it, for a shared store. The caller closes it. */
    Spool openSpool(String realmId);

    /** How queued mail is kept at rest: sealed with the realm's key, dead-letter bodies kept for a retention. */
    AtRestOptions atRest();

    /** Where a realm's throttles keep their budgets: this node's memory, or one the cluster shares. */
    ThrottleBudget.Source throttleBudgets(String realmId);

    /** Whether every node sees the same mail (and so the diagnostics show the cluster's queue). */
    boolean shared();

    /** One line for the log and the diagnostics: which store, and where. */
    String describe();

    /** The realm was deleted: its queued mail, dead letters and budgets go with it. */
    void forget(String realmId);

    @Override
    void close();

    /**
     * Applies {@code --spi-email-sender--relay--queue-store}: {@code file}, {@code database}, or {@code auto}, which
     * takes the database unless it is H2 (dev-file, dev-mem: one node by definition, and Keycloak's own warning says
     * not for production), where files under the spool directory are as durable and need no transaction per mail.
     */
    static QueueStore choose(ClusterOptions options, ServerOptions server, AtRestOptions atRest, Database database, Logger log) {
        return switch (options.queueStore()) {
            case FILE -> new FileQueueStore(server.spoolDir(), atRest);
            case DATABASE -> new DatabaseQueueStore(database, options.claimLease(), atRest);
            case AUTO -> {
                String product = database.productName();
                if (product != null && product.toUpperCase(Locale.ROOT).startsWith("H2")) {
                    log.debugf("Outbound relay: Keycloak's database is %s (dev-file or dev-mem): mail queues in files", product);
                    yield new FileQueueStore(server.spoolDir(), atRest);
                }
                yield new DatabaseQueueStore(database, options.claimLease(), atRest);
            }
        };
    }
}
