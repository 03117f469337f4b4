package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.ReconfigurableMailQueue;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.spool.SpoolException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Each realm's durable queue (a {@link ReconfigurableMailQueue}, for the life of the realm on this node) and its
 * {@link RealmRelay} for the current {@link RelayConfiguration}, rebuilt when that changes. The queue's lifecycle is
 * relay-common's: a rebuild drains the old queue within {@link #DRAIN}, waits until it let go of the realm's spool (a
 * send blocked on a slow relay returned and was recorded), then opens the new one on the same spool, so queued mail
 * is never lost and never owned by two queues; mail for the realm submitted meanwhile waits for the new queue. Each
 * realm keeps one delivery log for the life of the server, across rebuilds. Thread-safe; lives in the provider
 * factory, so one per Keycloak node.
 *
 * <p>Locks: a realm's {@link Slot} monitor is held while its relay is rebuilt, so two requests with new settings
 * build one relay; the queue's own lock (see {@link ReconfigurableMailQueue}) orders mail and the switch. Realms never
 * wait for each other.
 */
final class RealmRelays implements AutoCloseable {
    /** How long a queue's sends in flight may take, on a rebuild, a realm's removal and Keycloak's shutdown. */
    static final Duration DRAIN = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(RealmRelays.class);

    /** A realm's queue, and its relay for the current configuration. */
    private static final class Slot {
        ReconfigurableMailQueue<RelayConfiguration> queue; // set once, right after construction
        volatile RealmRelay relay; // written under the slot's monitor
        /** The bounce handling the queue opener gives the next queue; written under the slot's monitor. */
        volatile BounceHandling bounces;
        boolean removed;           // guarded by the slot's monitor
    }

    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final Function<RelayConfiguration, QueueStore> stores;
    private final ConcurrentHashMap<String, DeliveryLog> logs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ActionMailGate> gates = new ConcurrentHashMap<>();
    private final BounceSupport bounceSupport;
    /** Polls the realms' bounce mailboxes; two threads, so that one slow mailbox does not hold up every realm's. */
    private final ScheduledExecutorService bouncePolling = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "outbound-relay-bounce-poll");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    /** Queues in files under each configuration's spool directory, bodies unencrypted: for tests without a Keycloak. */
    RealmRelays() {
        this(configuration -> new FileQueueStore(configuration.server().spoolDir(), AtRestOptions.UNENCRYPTED));
    }

    /** @param stores where a configuration's queue keeps its mail: the node's {@link QueueStore} */
    RealmRelays(Function<RelayConfiguration, QueueStore> stores) {
        this(stores, BounceSupport.NONE);
    }

    /** @param bounceSupport each realm's suppression list and mailbox lease in Keycloak's database */
    RealmRelays(Function<RelayConfiguration, QueueStore> stores, BounceSupport bounceSupport) {
        this.stores = stores;
        this.bounceSupport = bounceSupport;
    }

    /**
     * The realm's relay for this configuration, switching the realm's queue to it if the settings changed.
     *
     * @throws MailNotQueuedException when Keycloak is shutting down or the realm was deleted
     * @throws SpoolException         when the realm's spool cannot be opened
     * @throws InvalidInputException  when a fallback relay cannot be used with these settings
     */
    RealmRelay forRealm(String realmId, String realmName, RelayConfiguration configuration) throws MailNotQueuedException {
        if (closed) {
            throw new MailNotQueuedException("Keycloak is shutting down: mail for realm " + realmName + " was not queued");
        }
        Slot slot = slots.computeIfAbsent(realmId, id -> {
            Slot s = new Slot();
            s.queue = new ReconfigurableMailQueue<>(
                    c -> RealmRelay.openQueue(id, realmName, c, deliveryLog(id), stores.apply(c), gate(id), DRAIN,
                            s.bounces == null ? BounceWatch.NONE : s.bounces.watch()),
                    "Keycloak is shutting down or realm " + realmName + " was deleted");
            return s;
        });
        RealmRelay current = slot.relay;
        if (current != null && current.configuration().equals(configuration)) {
            return current; // the common case: no lock, no allocation
        }
        synchronized (slot) {
            if (slot.removed) {
                throw new MailNotQueuedException("realm " + realmName + " was deleted: its mail was not queued");
            }
            if (closed) {
                throw new MailNotQueuedException("Keycloak is shutting down: mail for realm " + realmName + " was not queued");
            }
            current = slot.relay;
            if (current != null && current.configuration().equals(configuration)) {
                return current;
            }
            slot.relay = null;
            if (current != null) {
                current.close();
            }
            BounceHandling bounces = bounceHandling(realmId, configuration);
            slot.bounces = bounces;
            try {
                slot.queue.replace(configuration); // drains the old queue; it lets go of the spool the new one opens
            } catch (IllegalStateException e) {
                closeQuietly(bounces);
                throw new MailNotQueuedException(e.getMessage() + ": mail for realm " + realmName + " was not queued");
            } catch (RuntimeException e) {
                closeQuietly(bounces);
                throw e;
            }
            BouncePoller poller = bounces == null ? null
                    : new BouncePoller(realmId, realmName, bounces, configuration.bounces().pollInterval(), bounceSupport.lease());
            RealmRelay next = new RealmRelay(realmId, realmName, configuration, stores.apply(configuration), slot.queue,
                    gate(realmId), deliveryLog(realmId), bounces, poller);
            slot.relay = next;
            if (poller != null) {
                poller.start(bouncePolling);
            }
            return next;
        }
    }

    /**
     * The realm's bounce handling for a configuration: its suppression list and rate counts (the realm's, shared by the
     * cluster), and
     * the mailbox when one is set; null when this node keeps no list ({@link BounceSupport#NONE}).
     */
    private BounceHandling bounceHandling(String realmId, RelayConfiguration configuration) {
        return bounceSupport.list(realmId).map(list -> {
            BounceHandling.Builder builder = BounceHandling.builder().suppressionList(list)
                    .deliveryLog(deliveryLog(realmId)).maskRecipients(configuration.settings().maskRecipients())
                    .onSuppressed(s -> bounceSupport.suppressed(realmId, s, configuration.bounces().markUnverified()));
            // The counts behind the rates, summed over the cluster: a new handling (a settings change, a restart)
            // reads them back, and the old one wrote its last counts when it was closed.
            bounceSupport.counts(realmId).ifPresent(store -> builder.countStore(store)
                    .countFlushPeriod(bounceSupport.countFlushPeriod()));
            if (configuration.bounces().mailboxConfigured()) {
                builder.mailbox(configuration.bounces().mailbox());
            }
            return builder.build();
        }).orElse(null);
    }

    private static void closeQuietly(BounceHandling bounces) {
        if (bounces != null) {
            bounces.close();
        }
    }

    /** The realm's gate outlives rebuilds, as its log does. */
    private ActionMailGate gate(String realmId) {
        return gates.computeIfAbsent(realmId, id -> new ActionMailGate());
    }

    /**
     * Queues a login-flow mail in the realm's relay; see {@link RealmRelay#submit}.
     *
     * @throws MailNotQueuedException when the mail was not queued (Keycloak stopping, spool full or not writable),
     *                                with the reason and what to do
     */
    void deliver(String realmId, String realmName, RelayConfiguration configuration, OutboundMessage message)
            throws MailNotQueuedException {
        try {
            forRealm(realmId, realmName, configuration).submit(message);
        } catch (SpoolException e) {
            throw new MailNotQueuedException("realm " + realmName + ": the mail was not queued: " + e.getMessage(), e);
        } catch (InvalidInputException e) {
            InvalidInputException named = SmtpServerMapping.renamed(e); // the option an administrator would change
            throw new MailNotQueuedException("realm " + realmName + ": the mail was not queued: " + named.getMessage(), named);
        } catch (IllegalStateException e) {
            throw new MailNotQueuedException("realm " + realmName + ": the mail was not queued: " + e.getMessage());
        }
    }

    /**
     * Sends synchronously. Settings the realm uses already go through its relay's client; proposed settings (the
     * console testing an unsaved form) get a client of their own, so a test never replaces the realm's relay.
     */
    Receipt sendNow(String realmId, RelayConfiguration configuration, OutboundMessage message) throws DeliveryException {
        Optional<RealmRelay> current = current(realmId).filter(r -> r.configuration().equals(configuration));
        if (current.isPresent()) {
            return current.get().sendNow(message);
        }
        try (RelayClient client = RelayClient.create(configuration.settings(), deliveryLog(realmId))) {
            return client.send(message);
        }
    }

    /**
     * The realm was deleted: its queue finishes its sends in flight, and its spool, mail and dead letters of users who
     * no longer exist, is deleted with it once the queue let go of it. Its delivery log goes too.
     */
    void remove(String realmId, String realmName, Path spoolDirectory) {
        Slot slot = slots.remove(realmId);
        if (slot != null) {
            synchronized (slot) {
                slot.removed = true;
                RealmRelay relay = slot.relay;
                slot.relay = null;
                if (relay != null) {
                    QueueMetrics left = relay.metrics();
                    relay.close();
                    if (left.queueDepth() > 0 || left.deadLetters() > 0) {
                        LOG.infof("Realm %s was deleted with %d queued mail(s) and %d dead letter(s); they are deleted "
                                + "with its spool", realmName, left.queueDepth(), left.deadLetters());
                    }
                }
                slot.queue.close();
                awaitReleased(slot, realmName);
            }
        }
        logs.remove(realmId);
        gates.remove(realmId);
        bounceSupport.forget(realmId);
        try {
            RealmSpools.delete(spoolDirectory);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Realm %s was deleted but its spool %s could not be: %s. Delete the directory by hand.",
                    realmName, spoolDirectory, e);
        }
    }

    private static void awaitReleased(Slot slot, String realmName) {
        try {
            if (!slot.queue.awaitReleased(ReconfigurableMailQueue.RELEASE_WAIT)) {
                LOG.warnf("Realm %s: a send still runs after %d s; its spool is deleted anyway", realmName,
                        ReconfigurableMailQueue.RELEASE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The realms that have a relay (an open queue) on this node now. */
    Set<String> realmIds() {
        Set<String> ids = new HashSet<>();
        slots.forEach((id, slot) -> {
            if (slot.relay != null) {
                ids.add(id);
            }
        });
        return ids;
    }

    Optional<RealmRelay> current(String realmId) {
        Slot slot = slots.get(realmId);
        return slot == null ? Optional.empty() : Optional.ofNullable(slot.relay);
    }

    DeliveryLog deliveryLog(String realmId) {
        // The Email tab's debug switch acts on failures: the event goes to the realm's relay of the moment.
        return logs.computeIfAbsent(realmId, id -> new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY,
                event -> current(id).ifPresent(relay -> relay.afterEvent(event))));
    }

    /**
     * Keycloak is stopping: every realm's queue stops taking mail, finishes its sends in flight (all realms together,
     * within {@link #DRAIN}) and leaves the rest spooled for the next start.
     */
    @Override
    public void close() {
        closed = true;
        bouncePolling.shutdownNow();
        List<Thread> stopping = new ArrayList<>();
        for (Slot slot : slots.values()) {
            Thread t = new Thread(() -> {
                synchronized (slot) {
                    RealmRelay relay = slot.relay;
                    slot.relay = null;
                    if (relay != null) {
                        relay.close();
                    }
                    slot.queue.close(); // what a send blocked past the drain writes still reaches the spool
                }
            }, "outbound-relay-shutdown");
            t.start();
            stopping.add(t);
        }
        try {
            for (Thread t : stopping) {
                t.join(DRAIN.plusSeconds(5).toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        slots.clear();
    }
}
