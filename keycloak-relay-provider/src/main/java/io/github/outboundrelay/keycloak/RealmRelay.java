package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.ReconfigurableMailQueue;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * One realm configuration's way out: the realm's durable queue ({@link ReconfigurableMailQueue}, owned by
 * {@link RealmRelays} for the life of the realm and switched to this configuration when it was built), and a
 * {@link RelayClient} of its own for what must be synchronous (the console's "Test connection", the probe). Built by
 * {@link RealmRelays} for each distinct {@link RelayConfiguration}; replaced, not reused, when the realm's settings
 * change. The queue's lifecycle (drain the old queue, wait until it let go of the spool, open the next one, refuse
 * mail after Keycloak stops) is relay-common's; this class keeps Keycloak's glue: how a configuration becomes a
 * queue ({@link #openQueue}), the server's cap on queued mail, the action-mail gate and the debug probe.
 *
 * <p>The queue gets the realm's effective options: the rate limit as each relay's throttle, the retry lifetime as the
 * retry schedule's give-up age, the fallback relays after the Email tab's relay (failover order), and recipient
 * masking through the relay settings. The realm's {@link ActionMailGate} stops action mail whose link expired or that
 * a newer one replaces, and the server's cap on queued mail ({@link ServerMailLimits#maxQueuedPerRealm()}) refuses
 * new mail once the realm's queue holds that much.
 */
final class RealmRelay {
    private static final Logger LOG = Logger.getLogger(RealmRelay.class);

    private final String realmName;
    private final RelayConfiguration configuration;
    private final Path spoolDirectory;
    private final String queueStore;
    private final ReconfigurableMailQueue<RelayConfiguration> queue;
    private final RelayClient client;
    private final ActionMailGate gate;
    private final AtomicBoolean probing = new AtomicBoolean();
    private final BounceHandling bounces; // null: no suppression list on this node (tests without a Keycloak)
    private final BouncePoller poller;    // null with it

    /**
     * @param queue   the realm's queue, already switched to {@code configuration}
     * @param bounces the bounce handling that queue was opened with, closed with this relay; null for none
     * @param poller  reads its mailbox; null when {@code bounces} is
     */
    RealmRelay(String realmId, String realmName, RelayConfiguration configuration, QueueStore store,
               ReconfigurableMailQueue<RelayConfiguration> queue, ActionMailGate gate, DeliveryLog log,
               BounceHandling bounces, BouncePoller poller) {
        this.bounces = bounces;
        this.poller = poller;
        this.realmName = realmName;
        this.configuration = configuration;
        this.spoolDirectory = configuration.spoolDirectory(realmId);
        this.queueStore = store.describe();
        this.queue = queue;
        this.gate = gate;
        this.client = RelayClient.create(configuration.settings(), log);
    }

    /**
     * The realm's queue for a configuration: its spool opened in the node's {@link QueueStore} (under
     * {@code <spool-dir>/<realm id>}, or in Keycloak's database shared by a cluster), recovered, delivering. The
     * queue closes the spool when its last sender has returned.
     *
     * @param bounces the realm's suppression list and bounce counts, checked before each send
     * @throws SpoolException        when the spool cannot be used
     * @throws InvalidInputException when a fallback relay cannot be used with these settings
     */
    static MailQueue openQueue(String realmId, String realmName, RelayConfiguration configuration, DeliveryLog log,
                               QueueStore store, ActionMailGate gate, Duration drain, BounceWatch bounces) {
        configuration.fallbackRefusal().ifPresent(refused ->
                LOG.warnf("Realm %s: its fallback relay is not used: %s", realmName, refused.getMessage()));
        MailQueue.Builder builder = MailQueue.builder();
        configuration.relays().forEach(settings -> builder.relay(settings, configuration.throttle()));
        // SPOOL CHOICE: files under the spool directory, or Keycloak's database shared by the cluster (QueueStore).
        Spool spool = store.openSpool(realmId);
        try {
            return builder
                    .ownedSpool(spool)
                    .throttleBudgets(store.throttleBudgets(realmId))
                    .sendGate(gate)
                    .bounces(bounces)
                    .retrySchedule(RetrySchedule.builder()
                            .lifetime(configuration.realm().effectiveRetryLifetime(configuration.server())).build())
                    .deadLetterBodyRetention(store.atRest().deadLetterBodyRetention())
                    .deliveryLog(log)
                    .shutdownTimeout(drain)
                    .build();
        } catch (RuntimeException e) {
            spool.close(); // Closed already when the queue failed to start; not when the builder refused the options.
            throw e;
        }
    }

    RelayConfiguration configuration() {
        return configuration;
    }

    Path spoolDirectory() {
        return spoolDirectory;
    }

    /** Where this queue keeps its mail: files of this node, or Keycloak's database shared by the cluster. */
    String queueStore() {
        return queueStore;
    }

    /**
     * Queues a login-flow mail durably in the realm's queue and returns; the queue's senders talk to the relay.
     *
     * @throws SpoolException         when the spool is full, holds the server's cap of queued mail, or cannot be
     *                                written: the mail was not queued, and nothing queued was touched
     * @throws InvalidInputException  when no relay of this configuration could send it: the mail was not queued
     * @throws IllegalStateException  when Keycloak is stopping or the realm was deleted
     */
    void submit(OutboundMessage message) {
        int cap = configuration.server().limits().maxQueuedPerRealm();
        long queued = queue.queued();
        if (queued >= cap) {
            throw new SpoolException("realm " + realmName + "'s queue (" + queueStore + ")", "holds " + queued
                    + " mails, the most a realm may queue (" + ServerOptions.option(ServerMailLimits.MAX_QUEUED_PER_REALM)
                    + "=" + cap + ")", "The mail already queued is kept and delivered; new mail is refused until it "
                    + "drains. Check why the relay is not keeping up (GET .../outbound-relay/metrics), or raise the cap", null);
        }
        Instant before = Instant.now();
        queue.submit(message);
        gate.queued(message, before);
    }

    /** Sends now on the caller's thread and waits for the relay's answer: the console's "Test connection". */
    Receipt sendNow(OutboundMessage message) throws DeliveryException {
        return client.send(message);
    }

    /** The probe's step report against the realm's relay, sharing its TLS context and token cache. */
    ProbeReport probe(MailAddress testRecipient) {
        return client.probe(testRecipient);
    }

    /** The realm's name when this relay was built: the {@code realm} tag of its meters. */
    String realmName() {
        return realmName;
    }

    QueueMetrics metrics() {
        return queue.metrics();
    }

    List<DeadLetter> deadLetters(int limit) {
        return queue.deadLetters(limit);
    }

    boolean retryDeadLetter(String id) {
        return queue.retryDeadLetter(id);
    }

    boolean purgeDeadLetter(String id) {
        return queue.purgeDeadLetter(id);
    }

    int purgeDeadLetters() {
        return queue.purgeDeadLetters();
    }

    /** The realm's bounce handling with this configuration; empty when this node keeps no suppression list. */
    Optional<BounceHandling> bounces() {
        return Optional.ofNullable(bounces);
    }

    /** Polls the bounce mailbox now, on this node if it holds the realm's mailbox lease; empty without bounce handling. */
    Optional<BouncePoller.Outcome> pollBouncesNow() {
        return Optional.ofNullable(poller).map(BouncePoller::pollNow);
    }

    /** The node that polls this realm's mailbox when it is not this one, else empty text. */
    String bouncePollingNode() {
        return poller == null ? "" : poller.pollingNode();
    }

    /** This configuration was replaced, or the realm's queue closed: its synchronous client and mailbox polling go. */
    void close() {
        client.close();
        if (poller != null) {
            poller.close(); // closes the bounce handling too
        }
    }

    /**
     * The Email tab's "debug" switch: after a failed attempt, log the probe's redacted transcript of the relay. Runs
     * off the sender's thread, one probe at a time, so a down relay is not probed once per queued mail.
     */
    void afterEvent(DeliveryEvent event) {
        if (!configuration.debug() || event.outcome() != DeliveryEvent.Outcome.FAILED || !probing.compareAndSet(false, true)) {
            return;
        }
        Thread probe = new Thread(() -> {
            try {
                LOG.infof("Realm %s: delivery of %s failed (%s); probe of the relay follows:%n%s", realmName,
                        event.messageId(), event.category(), client.probe(null).toText());
            } catch (RuntimeException e) {
                LOG.infof("Realm %s: the probe after a failed delivery could not run: %s", realmName, e.getMessage());
            } finally {
                probing.set(false);
            }
        }, "outbound-relay-debug-probe");
        probe.setDaemon(true);
        probe.start();
    }
}
