package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.ThrottleBudget;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Mail waits in Keycloak's database and every node of the cluster delivers it; rate limits hold for the cluster.
 * Besides the spools it hands out, this node keeps two chores, each on a thread of its own: it renews the leases on
 * the mail its senders hold (every third of a lease), and it looks for realms with queued mail ({@link QueueAdoption}),
 * so that the mail of a node that died is sent by the others even when they never sent mail for that realm.
 */
final class DatabaseQueueStore implements QueueStore {
    /** How often a node looks for realms with queued mail it has no queue for. */
    static final Duration DISCOVERY_INTERVAL = Duration.ofSeconds(5);
    private static final Logger LOG = Logger.getLogger(DatabaseQueueStore.class);
    private static final int MAX_IDS_PER_RENEWAL = 500;

    private final Database database;
    private final Duration lease;
    private final AtRestOptions atRest;
    private final String owner;
    private final Set<DatabaseSpool> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong spools = new AtomicLong();
    private final ScheduledExecutorService chores;
    /** Discovery may rebuild a queue (seconds, while its sends drain): never on the thread that renews leases. */
    private final ScheduledExecutorService discovery;

    DatabaseQueueStore(Database database, Duration lease, AtRestOptions atRest) {
        this.database = database;
        this.lease = lease;
        this.atRest = atRest;
        this.owner = nodeName();
        this.chores = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outbound-relay-cluster-queue");
            t.setDaemon(true);
            return t;
        });
        this.discovery = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outbound-relay-cluster-discovery");
            t.setDaemon(true);
            return t;
        });
        long renewMillis = Math.max(1_000, lease.toMillis() / 3);
        chores.scheduleWithFixedDelay(this::renewLeases, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Tells {@code realmsWithMail} every {@link #DISCOVERY_INTERVAL} which realms have queued mail, starting now.
     * Call once Keycloak has created the tables (after its migration).
     */
    void discoverQueues(Consumer<Set<String>> realmsWithMail) {
        discovery.scheduleWithFixedDelay(() -> {
            try {
                List<String> keys = database.call(em -> em.createQuery("select distinct m.queueKey from OutboundRelayMail m"
                        + " where m.state = :queued", String.class).setParameter("queued", QueuedMailEntity.QUEUED).getResultList());
                realmsWithMail.accept(Set.copyOf(keys));
            } catch (RuntimeException e) {
                LOG.warnf("Outbound relay: cannot look for queued mail in the database (%s); trying again in %d s", e,
                        DISCOVERY_INTERVAL.toSeconds());
            }
        }, 0, DISCOVERY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A spool of its own for each call: its own lease owner ({@code <node>/<n>}), so that the spool of a realm's old
     * queue and that of its successor never take each other's leases.
     */
    @Override
    public Spool openSpool(String realmId) {
        String spoolOwner = owner + "/" + spools.incrementAndGet();
        DatabaseSpool[] self = new DatabaseSpool[1];
        self[0] = new DatabaseSpool(database, realmId, spoolOwner, lease, atRest.cipher(realmId), () -> open.remove(self[0]),
                Clock.systemUTC());
        open.add(self[0]);
        return self[0];
    }

    @Override
    public AtRestOptions atRest() {
        return atRest;
    }

    @Override
    public ThrottleBudget.Source throttleBudgets(String realmId) {
        return (relayName, limit, period, nowNanos) ->
                new DatabaseThrottleBudget(database, budgetKey(realmId, relayName, period), limit, period, Clock.systemUTC(), nowNanos);
    }

    /** Names a budget for people reading the table: realm, period, relay; a digest when it would not fit. */
    static String budgetKey(String realmId, String relayName, Duration period) {
        String key = realmId + " " + period.toSeconds() + "s " + relayName;
        if (key.length() <= 255) {
            return key;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(relayName.getBytes(StandardCharsets.UTF_8));
            return realmId + " " + period.toSeconds() + "s sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The LIKE pattern, with escape character {@code !}, of every budget key of the realm ({@link #budgetKey}): the
     * realm id taken literally, so that deleting realm {@code a_b} leaves the budgets of {@code a-b} alone.
     */
    static String budgetKeyPattern(String realmId) {
        return realmId.replace("!", "!!").replace("%", "!%").replace("_", "!_") + " %";
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public String describe() {
        return "Keycloak's database (table " + DatabaseSpool.TABLE + ", claims leased for " + lease.toSeconds()
                + " s, this node " + owner + ")";
    }

    String owner() {
        return owner;
    }

    /** Extends the leases of the mail this node's senders hold, so that a slow relay never lets another node in. */
    void renewLeases() {
        for (DatabaseSpool spool : open) {
            try {
                spool.renewLeases(MAX_IDS_PER_RENEWAL);
            } catch (RuntimeException e) {
                LOG.warnf("Outbound relay: cannot renew this node's claims on mail of realm %s (%s); if this lasts longer "
                        + "than the lease (%d s) another node may send them too", spool.queueKey(), e, lease.toSeconds());
            }
        }
    }

    @Override
    public void forget(String realmId) {
        try {
            database.call(em -> {
                em.createQuery("delete from OutboundRelayMail m where m.queueKey = :queue").setParameter("queue", realmId)
                        .executeUpdate();
                return em.createQuery("delete from OutboundRelayThrottle t where t.key like :prefix escape '!'")
                        .setParameter("prefix", budgetKeyPattern(realmId)).executeUpdate();
            });
        } catch (RuntimeException e) {
            LOG.warnf("Outbound relay: realm %s was deleted but its rows in %s could not be (%s); delete them by hand "
                    + "(QUEUE_KEY = the realm id)", realmId, DatabaseSpool.TABLE, e);
        }
    }

    @Override
    public void close() {
        discovery.shutdownNow();
        chores.shutdownNow();
    }

    /** This node in the LEASE_OWNER column: host, process and a random part (a restarted node is another owner). */
    private static String nodeName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = "keycloak";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }
}
