package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.RelaySettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jboss.logging.Logger;

/**
 * Each realm queue's {@link QueueMetrics} as Micrometer meters in Keycloak's registry, so that they appear on the
 * management port's {@code /metrics} when Keycloak runs with {@code --metrics-enabled=true}. Names follow Prometheus
 * conventions once exported ({@code outbound_relay_queue_depth}, {@code outbound_relay_sent_total}, ...); tags are
 * the realm's name, the relay's {@code host:port}, a failure category or a relay state: all bounded by configuration,
 * never a mail address.
 *
 * <p>A realm has meters while this node has a queue open for it ({@link RealmRelays#realmIds()}): {@link #refresh()}
 * registers the meters of realms that opened one and removes those of realms that were deleted (or whose relays
 * changed). It runs every {@link #REFRESH} and when a realm is removed. The meters read a snapshot of the queue taken
 * at most once per {@link #SNAPSHOT_AGE}, so one scrape costs one {@code metrics()} call per realm (a database query
 * in a cluster), not one per meter.
 *
 * <p>Totals ({@code _total}) count since the realm's queue opened: they restart from zero when the queue is rebuilt
 * after a settings change or a restart, which Prometheus' {@code rate()} and {@code increase()} treat as a reset.
 */
final class RelayMeters implements AutoCloseable {
    static final Duration REFRESH = Duration.ofSeconds(5);
    static final Duration SNAPSHOT_AGE = Duration.ofSeconds(1);
    private static final Logger LOG = Logger.getLogger(RelayMeters.class);

    private final MeterRegistry registry;
    private final RealmRelays relays;
    private final Map<String, RealmMeters> realms = new HashMap<>(); // guarded by this
    private ScheduledExecutorService refresher;                     // guarded by this

    RelayMeters(MeterRegistry registry, RealmRelays relays) {
        this.registry = registry;
        this.relays = relays;
    }

    /** Keeps the meters in step with the realms' queues, every {@link #REFRESH}, on a daemon thread. */
    synchronized RelayMeters start() {
        refresher = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "outbound-relay-meters");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, 0, REFRESH.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Registers the meters of realms with a queue open on this node, and removes those of realms without one. */
    synchronized void refresh() {
        Set<String> open = relays.realmIds();
        realms.entrySet().removeIf(entry -> {
            if (!open.contains(entry.getKey())) {
                entry.getValue().remove();
                return true;
            }
            return false;
        });
        for (String realmId : open) {
            Optional<RealmRelay> relay = relays.current(realmId);
            if (relay.isEmpty()) {
                continue; // being rebuilt: the next refresh sees the new one
            }
            String realmName = relay.get().realmName();
            // From the configuration, not a metrics snapshot: no spool (database) query per realm and refresh.
            List<String> relayNames = relay.get().configuration().relays().stream().map(RelaySettings::relayName).toList();
            RealmMeters registered = realms.get(realmId);
            if (registered != null && registered.realmName.equals(realmName) && registered.relayNames.equals(relayNames)) {
                continue;
            }
            if (registered != null) {
                registered.remove(); // renamed realm or other relays: no stale series stays behind
            }
            realms.put(realmId, new RealmMeters(realmId, realmName, relayNames));
        }
    }

    /** Drops a deleted realm's meters at once, not at the next refresh. */
    void realmRemoved() {
        refreshQuietly();
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            // A spool that cannot be read now must not stop the meters of every later refresh.
            LOG.debugf("Outbound relay: meters not refreshed: %s", e);
        }
    }

    @Override
    public synchronized void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        realms.values().forEach(RealmMeters::remove);
        realms.clear();
    }

    /** One realm's meters and the snapshot they read. */
    private final class RealmMeters {
        final String realmId;
        final String realmName;
        final List<String> relayNames;
        final List<Meter> meters = new ArrayList<>();
        private QueueMetrics snapshot; // guarded by this RealmMeters
        private long snapshotAt;       // System.nanoTime() of the snapshot

        RealmMeters(String realmId, String realmName, List<String> relayNames) {
            this.realmId = realmId;
            this.realmName = realmName;
            this.relayNames = relayNames;
            Tags realm = Tags.of("realm", realmName);
            gauge("outbound.relay.queue.depth", "Mails waiting or being delivered", null, realm, QueueMetrics::queueDepth);
            gauge("outbound.relay.queue.oldest.age", "Age of the oldest mail waiting; 0 when the queue is empty", "seconds",
                    realm, m -> m.oldestMessageAge().toMillis() / 1000.0);
            gauge("outbound.relay.dead.letters", "Dead letters kept, waiting for an administrator", null, realm,
                    QueueMetrics::deadLetters);
            gauge("outbound.relay.bounce.rate", "Permanently refused / (sent + permanently refused) over the last hour",
                    null, realm, QueueMetrics::bounceRateLastHour);
            // From the bounce mailbox's reports (docs/bounces.md): what relays judge a sender by.
            gauge("outbound.relay.hard.bounce.rate.24h", "Hard-bounce reports / recipients the relay accepted, last 24 hours",
                    null, realm, m -> m.bounces().last24Hours().hardBounceRate());
            gauge("outbound.relay.complaint.rate.24h", "Complaint reports / recipients the relay accepted, last 24 hours",
                    null, realm, m -> m.bounces().last24Hours().complaintRate());
            gauge("outbound.relay.hard.bounce.rate.7d", "Hard-bounce reports / recipients the relay accepted, last 7 days",
                    null, realm, m -> m.bounces().last7Days().hardBounceRate());
            gauge("outbound.relay.complaint.rate.7d", "Complaint reports / recipients the relay accepted, last 7 days",
                    null, realm, m -> m.bounces().last7Days().complaintRate());
            gauge("outbound.relay.suppressed.recipients", "Addresses on the realm's suppression list", null, realm,
                    m -> m.bounces().suppressedRecipients());
            counter("outbound.relay.submitted", "Mails accepted into the queue", realm, QueueMetrics::submitted);
            counter("outbound.relay.sent", "Mails a relay accepted", realm, QueueMetrics::sent);
            counter("outbound.relay.deferred", "Times a mail was put back to wait for a retry or a relay", realm,
                    QueueMetrics::deferred);
            counter("outbound.relay.retried", "Delivery attempts that were not a mail's first", realm, QueueMetrics::retried);
            counter("outbound.relay.dead.lettered", "Mails given up: refused permanently or expired", realm,
                    QueueMetrics::deadLettered);
            counter("outbound.relay.quarantined", "Spool entries moved aside because they could not be read", realm,
                    QueueMetrics::quarantined);
            for (FailureCategory category : FailureCategory.values()) {
                counter("outbound.relay.failed", "Delivery attempts that failed, by category",
                        realm.and("category", category.name()),
                        m -> m.failuresByCategory().getOrDefault(category, 0L));
            }
            for (String relay : relayNames) {
                Tags tags = realm.and("relay", relay);
                gauge("outbound.relay.relay.up", "1 while the relay takes mail (HEALTHY), else 0", null, tags,
                        m -> status(m, relay) == QueueMetrics.Status.HEALTHY ? 1 : 0);
                for (QueueMetrics.Status state : QueueMetrics.Status.values()) {
                    gauge("outbound.relay.relay.state", "1 for the relay's current state, 0 for the others", null,
                            tags.and("state", state.name()), m -> status(m, relay) == state ? 1 : 0);
                }
            }
        }

        private void gauge(String name, String help, String unit, Tags tags, ToDoubleFunction<QueueMetrics> value) {
            meters.add(Gauge.builder(name, this, self -> self.read(value))
                    .description(help).baseUnit(unit).tags(tags).strongReference(true).register(registry));
        }

        private void counter(String name, String help, Tags tags, ToDoubleFunction<QueueMetrics> value) {
            meters.add(FunctionCounter.builder(name, this, self -> self.read(value))
                    .description(help).tags(tags).register(registry));
        }

        /** The figure from a recent snapshot; NaN (no sample) while the realm has no queue on this node. */
        private double read(ToDoubleFunction<QueueMetrics> value) {
            QueueMetrics m = snapshot();
            return m == null ? Double.NaN : value.applyAsDouble(m);
        }

        private synchronized QueueMetrics snapshot() {
            long now = System.nanoTime();
            if (snapshot == null || now - snapshotAt > SNAPSHOT_AGE.toNanos()) {
                snapshot = relays.current(realmId).map(RealmRelay::metrics).orElse(null);
                snapshotAt = now;
            }
            return snapshot;
        }

        void remove() {
            meters.forEach(registry::remove);
            meters.clear();
        }
    }

    private static QueueMetrics.Status status(QueueMetrics m, String relay) {
        return m.relays().stream().filter(r -> r.relay().equals(relay)).findFirst()
                .map(QueueMetrics.RelayHealth::status).orElse(null);
    }
}
