package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.Throttle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Sends through relay-common's {@link MailQueue}: each mail is fsynced to the spool before {@link #submit} returns,
 * then delivered in the background over pooled connections with the relays in failover order, each under its own
 * throttle, retried with backoff until the retry lifetime runs out, and kept as a dead letter when refused or
 * expired. Failover, retries, throttling and dead letters are all the queue's; this class only adapts it.
 */
final class QueuedRelayMailer implements RelayMailer {
    /** Events and dead letters the status page shows at most. */
    static final int SHOWN_EVENTS = 50;
    static final int SHOWN_DEAD_LETTERS = 100;

    /**
     * How long relays are skipped after a failure and how long closing waits for sends in flight. Time is a
     * parameter so that tests of a relay coming back need not wait the production cool-down.
     */
    record Timings(Duration relayCooldown, Duration maxRelayCooldown, Duration shutdownTimeout) {
        /** The queue's cool-downs (10 s doubling to 5 min); Jenkins's shutdown and a save wait 10 s at most. */
        static final Timings DEFAULT = new Timings(MailQueue.DEFAULT_RELAY_COOLDOWN, MailQueue.DEFAULT_MAX_RELAY_COOLDOWN,
                Duration.ofSeconds(10));

        Timings {
            Objects.requireNonNull(relayCooldown, "relayCooldown");
            Objects.requireNonNull(maxRelayCooldown, "maxRelayCooldown");
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        }
    }

    /** Mail at rest in the spool: bodies sealed with {@code cipher}, kept by dead letters for the retention. */
    record AtRest(BodyCipher cipher, Duration deadLetterBodyRetention) {
        AtRest {
            Objects.requireNonNull(cipher, "cipher");
            Objects.requireNonNull(deadLetterBodyRetention, "deadLetterBodyRetention");
        }
    }

    private final MailQueue queue;
    private final DeliveryLog log;
    private final Path spool;

    private QueuedRelayMailer(MailQueue queue, DeliveryLog log, Path spool) {
        this.queue = queue;
        this.log = log;
        this.spool = spool;
    }

    /**
     * Opens the spool, recovers what it holds and starts delivering it.
     *
     * @param relays   in failover order; each gets {@code throttle} of its own (relays limit per account)
     * @param atRest   how bodies are sealed in the spool and how long dead letters keep them
     * @throws IllegalStateException when {@code relays} is empty
     * @throws io.github.outboundrelay.common.SpoolException when the spool cannot be opened (locked, not writable)
     */
    static QueuedRelayMailer open(List<RelaySettings> relays, Throttle throttle, RetrySchedule retrySchedule, Path spool,
                                  AtRest atRest, DeliveryLog log, Timings timings) {
        if (relays.isEmpty()) {
            throw new IllegalStateException("No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
        }
        MailQueue.Builder b = MailQueue.builder()
                .spoolDirectory(spool)
                .bodyCipher(atRest.cipher())
                .deadLetterBodyRetention(atRest.deadLetterBodyRetention())
                .retrySchedule(retrySchedule)
                .deliveryLog(log)
                .relayCooldown(timings.relayCooldown(), timings.maxRelayCooldown())
                .shutdownTimeout(timings.shutdownTimeout());
        relays.forEach(r -> b.relay(r, throttle));
        // The queue's dispatcher thread is started here and its sender threads by that thread: all inherit the
        // plugin's loader as context loader, which jakarta.mail needs to find the bundled Angus Mail.
        return new QueuedRelayMailer(PluginClassLoader.call(b::build), log, spool);
    }

    @Override
    public String submit(OutboundMessage message) {
        queue.submit(message);
        return message.messageId();
    }

    @Override
    public Status status() {
        List<DeliveryEvent> events = log.recent();
        List<DeliveryEvent> newest = new ArrayList<>(events.subList(Math.max(0, events.size() - SHOWN_EVENTS), events.size()));
        Collections.reverse(newest);
        return new Status(queue.metrics(), newest, queue.deadLetters(SHOWN_DEAD_LETTERS), spool.toString());
    }

    @Override
    public boolean retryDeadLetter(String id) {
        // Not a spool id, or a dead letter whose body is gone: InvalidInputException says which (the page logs it).
        return queue.retryDeadLetter(id);
    }

    @Override
    public boolean purgeDeadLetter(String id) {
        try {
            return queue.purgeDeadLetter(id);
        } catch (InvalidInputException e) {
            return false;
        }
    }

    @Override
    public int purgeDeadLetters() {
        return queue.purgeDeadLetters();
    }

    @Override
    public void close() {
        queue.close();
    }
}
