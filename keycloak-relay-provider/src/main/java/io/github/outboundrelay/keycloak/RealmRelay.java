package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * One realm configuration's way out: a pooled {@link RelayClient} and the hand-over that keeps login flows from
 * waiting on the relay. Built by {@link RealmRelays} for each distinct {@link RelayConfiguration}; retired, not
 * reused, when the realm's settings change.
 *
 * <h2>Where the durable queue plugs in</h2>
 * {@link #deliver(OutboundMessage)} is the one seam every login-flow mail passes through. Today it hands the message
 * to a small bounded executor that makes <em>one</em> attempt: a mail is lost if that attempt fails or Keycloak stops
 * first. When relay-common's {@code MailQueue} lands, this class holds one queue per configuration instead of the
 * executor, and:
 * <ul>
 *   <li>{@code deliver} becomes {@code queue.submit(message)} (durable: fsync before it returns), spooled under
 *       {@link ServerOptions#spoolDir()}{@code /<realm id>};</li>
 *   <li>the queue's throttle takes {@link RealmRelayOptions#effectiveRateLimitPerMinute}, its retry schedule
 *       {@link RealmRelayOptions#effectiveRetryLifetime}, its failover {@link RealmRelayOptions#effectiveFallbackRelays};</li>
 *   <li>{@link #metrics()} returns the queue's metrics snapshot, and the diagnostics resource's dead-letter
 *       endpoints list, retry and purge the queue's dead letters;</li>
 *   <li>{@link #retire()} stops the queue's workers without losing spooled mail, and the realm's next relay (or the
 *       next Keycloak start) picks the spool up again.</li>
 * </ul>
 * {@link #sendNow(OutboundMessage)} (the console's "Test connection") and {@link #probe(MailAddress)} stay synchronous.
 */
final class RealmRelay {
    private static final Logger LOG = Logger.getLogger(RealmRelay.class);

    private final String realmName;
    private final RelayConfiguration configuration;
    private final RelayClient client;
    private final RealmCounters counters;
    private final ThreadPoolExecutor handOver;

    RealmRelay(String realmName, RelayConfiguration configuration, DeliveryLog log, RealmCounters counters) {
        this.realmName = realmName;
        this.configuration = configuration;
        this.client = RelayClient.create(configuration.settings(), log);
        this.counters = counters;
        ServerOptions server = configuration.server();
        int threads = Math.min(server.deliveryThreads(), configuration.settings().maxConnections());
        AtomicInteger threadNumber = new AtomicInteger();
        this.handOver = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(server.handOverCapacity()),
                r -> {
                    Thread t = new Thread(r, "outbound-relay-" + realmName + "-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }) {
            @Override
            protected void terminated() {
                // Retired and drained: nothing will use the pooled connections again.
                client.close();
            }
        };
        handOver.allowCoreThreadTimeOut(true);
    }

    RelayConfiguration configuration() {
        return configuration;
    }

    /**
     * Hands a login-flow mail over and returns at once; the relay is spoken to on a delivery thread.
     *
     * @return false when this relay was retired meanwhile (settings changed): ask {@link RealmRelays} again
     * @throws RelayBusyException when {@link ServerOptions#handOverCapacity()} mails are already waiting
     */
    boolean deliver(OutboundMessage message) throws RelayBusyException {
        // QUEUE SEAM: replace the executor hand-over with queue.submit(message); see the class comment.
        if (handOver.isShutdown()) {
            return false;
        }
        try {
            handOver.execute(() -> attempt(message));
        } catch (RejectedExecutionException e) {
            if (handOver.isShutdown()) {
                return false;
            }
            counters.refused.incrementAndGet();
            throw new RelayBusyException(realmName, configuration.server().handOverCapacity());
        }
        counters.handedOver.incrementAndGet();
        return true;
    }

    /** Sends now on the caller's thread and waits for the relay's answer: the console's "Test connection". */
    Receipt sendNow(OutboundMessage message) throws DeliveryException {
        return client.send(message);
    }

    /** The probe's step report against this relay, sharing its TLS context and token cache. */
    ProbeReport probe(MailAddress testRecipient) {
        return client.probe(testRecipient);
    }

    /** Counters and the hand-over's backlog. QUEUE SEAM: the queue's metrics snapshot replaces this. */
    Map<String, Object> metrics() {
        Map<String, Object> map = new LinkedHashMap<>(counters.snapshot());
        map.put("waiting", handOver.getQueue().size());
        map.put("sending", handOver.getActiveCount());
        map.put("idleConnections", client.idleConnections());
        return map;
    }

    /** Stops taking mail; what was handed over is still attempted, then the connections close. Returns at once. */
    void retire() {
        handOver.shutdown();
    }

    /** For Keycloak's shutdown: waits a little for handed-over mail, then reports what is abandoned. */
    void retireAndWait(long millis) {
        handOver.shutdown();
        try {
            if (!handOver.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
                int abandoned = handOver.shutdownNow().size();
                LOG.warnf("Realm %s: %d mail(s) were still waiting for the relay at shutdown and are lost "
                        + "(the durable queue is not installed in this build)", realmName, abandoned);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handOver.shutdownNow();
        }
    }

    private void attempt(OutboundMessage message) {
        try {
            client.send(message);
            counters.sent.incrementAndGet();
        } catch (DeliveryException e) {
            // The engine's delivery log has already recorded the event (masked recipients, category, remedy).
            counters.failed.incrementAndGet();
            if (configuration.debug()) {
                LOG.infof("Realm %s: delivery of %s failed (%s); probe of the relay follows:%n%s", realmName,
                        message.messageId(), e.category(), client.probe(null).toText());
            }
        } catch (RuntimeException e) {
            counters.failed.incrementAndGet();
            LOG.warnf("Realm %s: mail %s could not be sent: %s", realmName, message.messageId(), e.getMessage());
        }
    }
}
