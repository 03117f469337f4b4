package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RecipientMask;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends each submitted message on a bounded executor, trying the relays in failover order: a transient failure
 * (network, 4xx) moves on to the next relay, a permanent one (5xx, bad address) stops. A message no relay took is
 * kept as a dead letter in memory. No spool, no retry schedule, no throttle: that is the durable queue's job, and
 * it replaces this class behind {@link RelayMailer}.
 */
final class DirectRelayMailer implements RelayMailer {
    static final int MAX_WAITING = 1_000;
    static final int MAX_DEAD_LETTERS = 200;

    private final List<RelayClient> clients;
    private final DeliveryLog log;
    private final ThreadPoolExecutor executor;
    private final boolean maskRecipients;
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Map<String, Dead> deadLetters = new LinkedHashMap<>(); // guarded by itself

    private record Dead(OutboundMessage message, DeadLetter letter) {
    }

    DirectRelayMailer(List<RelaySettings> relays, DeliveryLog log) {
        if (relays.isEmpty()) {
            throw new IllegalStateException("No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
        }
        this.log = log;
        this.maskRecipients = relays.get(0).maskRecipients();
        this.clients = PluginClassLoader.call(() -> relays.stream().map(s -> RelayClient.create(s, log)).toList());
        this.executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_WAITING), r -> {
            Thread t = new Thread(r, "outbound-relay-sender");
            t.setDaemon(true);
            t.setContextClassLoader(DirectRelayMailer.class.getClassLoader());
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    @Override
    public String submit(OutboundMessage message) {
        if (message.from() == null && clients.get(0).settings().from() == null) {
            throw new io.github.outboundrelay.common.InvalidInputException("from", "is empty",
                    "Set the From address under Manage Jenkins > Outbound Email Relay, or pass from: to the step");
        }
        try {
            executor.execute(() -> deliver(message));
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException(MAX_WAITING + " messages are already waiting for the relay; this one was not accepted", e);
        }
        submitted.incrementAndGet();
        return message.messageId();
    }

    private void deliver(OutboundMessage message) {
        DeliveryException last = null;
        for (RelayClient client : clients) {
            try {
                client.send(message);
                sent.incrementAndGet();
                return;
            } catch (DeliveryException e) {
                failedAttempts.incrementAndGet();
                last = e;
                if (!e.isTransient()) {
                    break; // The next relay would refuse the same address or content.
                }
            } catch (RuntimeException e) {
                failedAttempts.incrementAndGet();
                deadLetter(message, null, e.getMessage());
                return;
            }
        }
        deadLetter(message, last, last == null ? "" : last.remedy());
    }

    private void deadLetter(OutboundMessage message, DeliveryException e, String detail) {
        List<String> recipients = message.recipients().stream()
                .map(a -> maskRecipients ? RecipientMask.mask(a.address()) : a.address()).toList();
        DeadLetter letter = new DeadLetter(message.messageId(), Instant.now(), recipients, e == null ? null : e.category(), detail);
        synchronized (deadLetters) {
            deadLetters.put(message.messageId(), new Dead(message, letter));
            while (deadLetters.size() > MAX_DEAD_LETTERS) {
                deadLetters.remove(deadLetters.keySet().iterator().next());
            }
        }
        deadLettered.incrementAndGet();
    }

    @Override
    public Status status() {
        List<DeadLetter> letters;
        synchronized (deadLetters) {
            letters = deadLetters.values().stream().map(Dead::letter).toList();
        }
        return new Status(submitted.get(), sent.get(), failedAttempts.get(), deadLettered.get(), executor.getQueue().size(),
                log.recent(), letters);
    }

    @Override
    public boolean retryDeadLetter(String messageId) {
        Dead dead;
        synchronized (deadLetters) {
            dead = deadLetters.remove(messageId);
        }
        if (dead == null) {
            return false;
        }
        submit(dead.message());
        return true;
    }

    @Override
    public boolean purgeDeadLetter(String messageId) {
        synchronized (deadLetters) {
            return deadLetters.remove(messageId) != null;
        }
    }

    /** Stops taking mail, lets what is waiting go out for a few seconds, then closes the connections. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clients.forEach(RelayClient::close);
    }

    List<RelayClient> clients() {
        return new ArrayList<>(clients);
    }
}
