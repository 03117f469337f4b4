package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.spool.SpoolException;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The one seam through which the plugin sends mail: the pipeline step, the notifier and the status page use only
 * this. {@link QueuedRelayMailer} implements it with relay-common's durable {@code MailQueue}, spooled under
 * {@link #spoolDirectory(File)}; {@link ReopeningRelayMailer} keeps one open for the saved settings.
 */
public interface RelayMailer extends AutoCloseable {

    /**
     * Queues a message durably and returns its Message-ID at once; delivery happens in the background.
     *
     * @throws InvalidInputException when the message cannot be sent with the configured relays (no From...)
     * @throws SpoolException        when the spool cannot keep it (disk full, not writable): it was not queued
     * @throws IllegalStateException when no relay is configured or Jenkins is shutting down
     */
    String submit(OutboundMessage message);

    /** Metrics, recent delivery events and dead letters, for the status page. */
    Status status();

    /**
     * Queues a dead letter again with a fresh lifetime; false when there is no such dead letter.
     *
     * @throws InvalidInputException when {@code id} is not a spool id, or the dead letter's body was deleted after
     *                               the retention the page sets (it can only be purged)
     */
    boolean retryDeadLetter(String id);

    /** Deletes a dead letter for good; false when there is no such spool id. */
    boolean purgeDeadLetter(String id);

    /** Deletes every dead letter; returns how many. */
    int purgeDeadLetters();

    /** Stops taking mail, lets sends in flight finish, leaves the rest spooled for the next start. */
    @Override
    void close();

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
    record Status(QueueMetrics metrics, List<DeliveryEvent> recentEvents, List<DeadLetter> deadLetters, String spool) {
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
    record CategoryCount(FailureCategory category, long count) {
    }
}
