package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import java.io.File;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The one seam through which the plugin sends mail: the pipeline step, the notifier and the status page use only
 * this. Today {@link DirectRelayMailer} sends on a small bounded executor with failover across the configured relays.
 * relay-common's durable queue ({@code MailQueue}: fsync'd spool, token-bucket throttle, retry schedule, dead letters)
 * replaces it behind this same interface, with its spool in {@link #spoolDirectory(File)} under JENKINS_HOME so that
 * queued mail survives a restart. Nothing outside this interface changes then.
 */
public interface RelayMailer extends AutoCloseable {

    /**
     * Accepts a message for delivery and returns its Message-ID at once; delivery happens in the background.
     *
     * @throws InvalidInputException when the message cannot be sent with the configured relays (no From...)
     * @throws IllegalStateException when no relay is configured or the mailer cannot take more mail now
     */
    String submit(OutboundMessage message);

    /** Counters, recent delivery events and dead letters, for the status page. */
    Status status();

    /** Submits a dead letter again; false when there is no such id. */
    boolean retryDeadLetter(String messageId);

    /** Forgets a dead letter; false when there is no such id. */
    boolean purgeDeadLetter(String messageId);

    @Override
    void close();

    /** Where the durable queue keeps its spool: {@code $JENKINS_HOME/outbound-relay/spool}. */
    static Path spoolDirectory(File jenkinsHome) {
        return jenkinsHome.toPath().resolve("outbound-relay").resolve("spool");
    }

    /** A snapshot for the status page. Recipients are masked as the configuration says. */
    record Status(long submitted, long sent, long failedAttempts, long deadLettered, int waiting,
                  List<DeliveryEvent> recentEvents, List<DeadLetter> deadLetters) {
        public Status {
            recentEvents = List.copyOf(recentEvents);
            deadLetters = List.copyOf(deadLetters);
        }
    }

    /** A message every relay refused or could not take. */
    record DeadLetter(String messageId, Instant time, List<String> recipients, FailureCategory category, String detail) {
        public DeadLetter {
            recipients = List.copyOf(recipients);
        }
    }
}
