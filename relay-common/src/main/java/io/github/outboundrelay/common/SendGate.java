package io.github.outboundrelay.common;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Decides, just before each attempt, whether a queued mail is still worth sending. A mail can lose its point while it
 * waits for a relay that is down or a throttle: the link it carries expired (it becomes a dead letter
 * {@link FailureCategory#EXPIRED}, kept for the administrator, and is not sent), or a newer mail to the same person
 * replaced it (it is dropped, with a {@link DeliveryEvent.Outcome#SUPERSEDED} event). Neither touches the relay or
 * uses the throttle's permits. The queue calls the gate on a sender thread, never under its locks; it must be fast
 * and must not throw (an exception counts as {@link Verdict#SEND}: no mail is lost to a gate's bug).
 *
 * <pre>{@code
 * MailQueue.builder()
 *         .relay(settings)
 *         .spool(spool)
 *         .sendGate((message, firstSubmitted, now) -> linkExpiry(message).isBefore(now)
 *                 ? SendGate.Verdict.expired("its link expired at " + linkExpiry(message))
 *                 : SendGate.Verdict.SEND)
 *         .build();
 * }</pre>
 */
@FunctionalInterface
public interface SendGate {
    /** Sends everything: the default. */
    SendGate OPEN = (message, firstSubmitted, now) -> Verdict.SEND;

    /**
     * @param message        the queued mail
     * @param firstSubmitted when the queue accepted it (the spool's time; a requeued dead letter's is its requeue)
     * @param now            the queue's clock
     */
    Verdict check(OutboundMessage message, Instant firstSubmitted, Instant now);

    /** What the gate decided. */
    enum Decision {
        /** Send it. */
        SEND,
        /** Not sent: moved to the dead letters with {@link FailureCategory#EXPIRED}. */
        EXPIRED,
        /** Not sent and not kept: a newer mail replaces it. */
        SUPERSEDED,
        /**
         * Not sent: every recipient is on the suppression list. Moved to the dead letters with
         * {@link FailureCategory#RECIPIENT_SUPPRESSED}.
         */
        SUPPRESSED
    }

    /**
     * @param decision   what happens to the mail
     * @param reason     one line for the dead letter or the event, never the link or the body; empty for SEND
     * @param suppressed with SEND, recipients on the suppression list: the mail goes to the others only, and each
     *                   of these gets a FAILED event with {@link FailureCategory#RECIPIENT_SUPPRESSED}
     */
    record Verdict(Decision decision, String reason, List<MailAddress> suppressed) {
        public static final Verdict SEND = new Verdict(Decision.SEND, "");

        public Verdict {
            Objects.requireNonNull(decision, "decision");
            reason = reason == null ? "" : reason;
            suppressed = suppressed == null ? List.of() : List.copyOf(suppressed);
        }

        public Verdict(Decision decision, String reason) {
            this(decision, reason, List.of());
        }

        /** Not sent at all: every recipient is suppressed. */
        public static Verdict suppressed(String reason) {
            return new Verdict(Decision.SUPPRESSED, reason);
        }

        /** Sent, but not to these suppressed recipients. */
        public static Verdict sendWithout(List<MailAddress> suppressed, String reason) {
            return new Verdict(Decision.SEND, reason, suppressed);
        }

        public static Verdict expired(String reason) {
            return new Verdict(Decision.EXPIRED, reason);
        }

        public static Verdict superseded(String reason) {
            return new Verdict(Decision.SUPERSEDED, reason);
        }
    }
}
