package io.github.outboundrelay.common;

import java.time.Instant;

/**
 * What the queue asks of bounce tracking: whether a mail's recipients are suppressed (through a {@link SendGate}),
 * how many recipients the relay accepted (the rates' denominator), and the rates for {@link QueueMetrics}.
 * relay-common's {@code BounceTracker} implements it over a suppression list; {@link #NONE} tracks nothing.
 *
 * <pre>{@code
 * MailQueue queue = MailQueue.builder().relay(settings).spoolDirectory(dir).bounces(tracker).build();
 * }</pre>
 */
public interface BounceWatch {
    /** Suppresses nobody and counts nothing. */
    BounceWatch NONE = new BounceWatch() {
        @Override
        public SendGate gate(SendGate next) {
            return next;
        }

        @Override
        public void sent(int acceptedRecipients, Instant now) {
        }

        @Override
        public BounceMetrics metrics(Instant now) {
            return BounceMetrics.NONE;
        }
    };

    /** {@code next} with the suppression check after it (an expired link stays EXPIRED, not SUPPRESSED). */
    SendGate gate(SendGate next);

    /** The relay accepted a mail for this many recipients. Called on a sender thread; must be fast, never throw. */
    void sent(int acceptedRecipients, Instant now);

    BounceMetrics metrics(Instant now);
}
