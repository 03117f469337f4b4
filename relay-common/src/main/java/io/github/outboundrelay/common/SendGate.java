package io.github.outboundrelay.common;

import java.time.Instant;
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
        SUPERSEDED
    }

    /**
     * @param decision what happens to the mail
     * @param reason   one line for the dead letter or the event, never the link or the body; empty for SEND
     */
    record Verdict(Decision decision, String reason) {
        public static final Verdict SEND = new Verdict(Decision.SEND, "");

        public Verdict {
            Objects.requireNonNull(decision, "decision");
            reason = reason == null ? "" : reason;
        }

        public static Verdict expired(String reason) {
            return new Verdict(Decision.EXPIRED, reason);
        }

        public static Verdict superseded(String reason) {
            return new Verdict(Decision.SUPERSEDED, reason);
        }
    }
}
