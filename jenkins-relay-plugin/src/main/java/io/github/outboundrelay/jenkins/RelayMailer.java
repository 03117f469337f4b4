package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.ReconfigurableMailQueue;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.Throttle;
import io.github.outboundrelay.common.spool.SpoolException;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one seam through which the plugin sends mail: the pipeline step, the notifier and the status page use only
 * this. It is Jenkins's glue around relay-common's {@link ReconfigurableMailQueue}, which owns the queue's
 * lifecycle (one durable {@link MailQueue} per saved settings, spooled under {@link #spoolDirectory(File)}; a save
 * drains it and opens the next one on the same spool; closed when Jenkins stops) and the reasoning about its locks.
 * What stays here: when Jenkins opens and replaces it, how the page's settings become a queue ({@link #openQueue}),
 * and what the status page shows.
 */
public final class RelayMailer implements AutoCloseable {
    /** Events and dead letters the status page shows at most. */
    static final int SHOWN_EVENTS = 50;
    static final int SHOWN_DEAD_LETTERS = 100;
    private static final Logger LOGGER = Logger.getLogger(RelayMailer.class.getName());

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

    private final ReconfigurableMailQueue<RelayConfiguration> queue;
    private final DeliveryLog log;
    private final Supplier<Path> spool;

    /**
     * @param opener the queue for the page's settings as they are when it opens (credentials are looked up then)
     * @param log    the delivery log every queue writes to, so the page shows what happened before a save too
     * @param spool  where the queue spools, for the status page
     */
    RelayMailer(Function<RelayConfiguration, MailQueue> opener, DeliveryLog log, Supplier<Path> spool) {
        this.queue = new ReconfigurableMailQueue<>(opener, "Jenkins is shutting down");
        this.log = log;
        this.spool = spool;
    }

    /**
     * A queue for these settings: the spool opened and recovered, delivery started.
     *
     * @param relays in failover order; each gets {@code throttle} of its own (relays limit per account)
     * @param atRest how bodies are sealed in the spool and how long dead letters keep them
     * @param bounces the suppression gate and the rate counts ({@link RelayBounces}), or BounceWatch.NONE
     * @throws IllegalStateException when {@code relays} is empty
     * @throws SpoolException        when the spool cannot be opened (locked, not writable)
     */
    static MailQueue openQueue(List<RelaySettings> relays, Throttle throttle, RetrySchedule retrySchedule, Path spool,
                               AtRest atRest, DeliveryLog log, Timings timings, BounceWatch bounces) {
        if (relays.isEmpty()) {
            throw new IllegalStateException("No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
        }
        MailQueue.Builder b = MailQueue.builder()
                .spoolDirectory(spool)
                .bodyCipher(atRest.cipher())
                .deadLetterBodyRetention(atRest.deadLetterBodyRetention())
                .retrySchedule(retrySchedule)
                .deliveryLog(log)
                .bounces(bounces)
                .relayCooldown(timings.relayCooldown(), timings.maxRelayCooldown())
                .shutdownTimeout(timings.shutdownTimeout());
        relays.forEach(r -> b.relay(r, throttle));
        // The queue's dispatcher thread is started here and its sender threads by that thread: all inherit the
        // plugin's loader as context loader, which jakarta.mail needs to find the bundled Angus Mail.
        return PluginClassLoader.call(b::build);
    }

    /**
     * Queues a message durably and returns its Message-ID at once; delivery happens in the background. Opens the
     * queue on first use.
     *
     * @throws InvalidInputException when the message cannot be sent with the configured relays (no From...)
     * @throws SpoolException        when the spool cannot keep it (disk full, not writable): it was not queued
     * @throws IllegalStateException when no relay is configured or Jenkins is shutting down
     */
    public String submit(OutboundMessage message) {
        queue.submit(message);
        return message.messageId();
    }

    /** Metrics, recent delivery events and dead letters, for the status page. */
    public Status status() {
        List<DeliveryEvent> events = log.recent();
        List<DeliveryEvent> newest = new ArrayList<>(events.subList(Math.max(0, events.size() - SHOWN_EVENTS), events.size()));
        Collections.reverse(newest);
        return new Status(queue.metrics(), newest, queue.deadLetters(SHOWN_DEAD_LETTERS), spool.get().toString());
    }

    /** The queue's counters and rates, bounce rates included; opens the queue if it is not open. */
    public QueueMetrics metrics() {
        return queue.metrics();
    }

    /**
     * Queues a dead letter again with a fresh lifetime; false when there is no such dead letter.
     *
     * @throws InvalidInputException when {@code id} is not a spool id, or the dead letter's body was deleted after
     *                               the retention the page sets (it can only be purged)
     */
    public boolean retryDeadLetter(String id) {
        return queue.retryDeadLetter(id);
    }

    /** Deletes a dead letter for good; false when there is no such spool id. */
    public boolean purgeDeadLetter(String id) {
        try {
            return queue.purgeDeadLetter(id);
        } catch (InvalidInputException e) {
            return false;
        }
    }

    /** Deletes every dead letter; returns how many. */
    public int purgeDeadLetters() {
        return queue.purgeDeadLetters();
    }

    /**
     * Jenkins has started: opens the queue so that mail spooled before a restart goes out without waiting for a job.
     *
     * @throws RuntimeException what opening threw: invalid settings, no relay, a spool that cannot be used
     */
    void open() {
        queue.open();
    }

    /**
     * The settings changed: the open queue is drained and replaced on the same spool. With {@code evenIfClosed}
     * (an administrator saved the page) a queue is opened even if none was, so spooled mail goes out now; without
     * it (configuration as code setting fields one by one before Jenkins has started) nothing is opened. A failure
     * to open is logged; the next use tries again and reports it.
     */
    void settingsChanged(RelayConfiguration settings, boolean evenIfClosed) {
        if (!evenIfClosed) {
            queue.replaceIfOpen(settings);
            return;
        }
        try {
            queue.replace(settings);
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: the mail queue could not be opened with the new settings; "
                    + "queued mail stays in the spool until it can: {0}", e.getMessage());
        }
    }

    boolean isOpen() {
        return queue.isOpen();
    }

    /** Jenkins is stopping: sends in flight finish within the drain, the rest stays spooled, mail is refused after. */
    @Override
    public void close() {
        queue.close();
    }

    /** Where the durable queue keeps its spool: {@code $JENKINS_HOME/outbound-relay/spool}. */
    static Path spoolDirectory(File jenkinsHome) {
        return jenkinsHome.toPath().resolve("outbound-relay").resolve("spool");
    }

    /**
     * A snapshot for the status page. Recipients and replies are masked as the configuration says.
     *
     * @param metrics      the queue's counters, depth, bounce rate and per-relay health
     * @param recentEvents the delivery log, newest first
     * @param deadLetters  the oldest dead letters, at most a page of them
     * @param spool        where the spool is, for the administrator who looks at the disk
     */
    public record Status(QueueMetrics metrics, List<DeliveryEvent> recentEvents, List<DeadLetter> deadLetters, String spool) {
        public Status {
            recentEvents = List.copyOf(recentEvents);
            deadLetters = List.copyOf(deadLetters);
        }

        /** Failed attempts per category, most frequent first. */
        public List<CategoryCount> failures() {
            return metrics.failuresByCategory().entrySet().stream()
                    .map(e -> new CategoryCount(e.getKey(), e.getValue()))
                    .sorted(Comparator.comparingLong(CategoryCount::count).reversed()).toList();
        }

        /** "none", "42 s", "3 min 5 s", "2 h 10 min": how long the oldest queued mail has waited. */
        public String oldestAge() {
            return metrics.queueDepth() == 0 ? "none" : age(metrics.oldestMessageAge());
        }

        /** The last hour's bounce rate as a percentage, one decimal. */
        public String bounceRate() {
            return String.format(Locale.ROOT, "%.1f %%", metrics.bounceRateLastHour() * 100);
        }

        static String age(Duration d) {
            long s = d.toSeconds();
            if (s < 60) {
                return s + " s";
            }
            if (s < 3600) {
                return s / 60 + " min " + s % 60 + " s";
            }
            return s / 3600 + " h " + s % 3600 / 60 + " min";
        }
    }

    /** One row of the failures-by-category table. */
    public record CategoryCount(FailureCategory category, long count) {
    }
}
