package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.FailureCategory;

import java.time.Duration;

/**
 * Remembers that a relay failed and keeps mail away from it for a while, so the next relay takes the mail instead
 * of every mail waiting for a timeout (OkHttp's RouteDatabase, failsafe's circuit breaker).
 *
 * <pre>
 * CLOSED --relay failure--> OPEN (cool-down: initial, doubling per consecutive failure, capped)
 * CLOSED --AUTH refused---> PAUSED (a fixed pause: retrying a wrong password locks the account)
 * OPEN/PAUSED --time up---> HALF_OPEN: one trial mail; success -> CLOSED, failure -> OPEN/PAUSED again
 * </pre>
 * A new breaker starts HALF_OPEN: until a relay has taken one mail, a backlog does not open four connections that
 * each present a wrong password (four AUTH failures in a second is how accounts get locked).
 * Thread-safe: the dispatcher asks, the senders report. Time (monotonic nanos) is an argument.
 */
public final class RelayCircuitBreaker {
    public enum State { CLOSED, OPEN, HALF_OPEN, PAUSED }

    /** A consistent view for metrics. */
    public record Snapshot(State state, long nanosUntilRetry, int consecutiveFailures, FailureCategory lastCategory, String lastFailure) {
    }

    private final Duration initialCooldown;
    private final Duration maxCooldown;
    private final Duration authPause;

    private State state = State.HALF_OPEN;      // guarded by this
    private long reopenAtNanos;                 // guarded by this
    private int consecutiveFailures;            // guarded by this
    private boolean trialInFlight;              // guarded by this
    private FailureCategory lastCategory;       // guarded by this
    private String lastFailure = "";            // guarded by this

    public RelayCircuitBreaker(Duration initialCooldown, Duration maxCooldown, Duration authPause) {
        this.initialCooldown = initialCooldown;
        this.maxCooldown = maxCooldown;
        this.authPause = authPause;
    }

    /**
     * 0 when the relay may take a mail now; otherwise how long until it may, or {@link Long#MAX_VALUE} while a trial
     * mail is out (its outcome wakes the dispatcher).
     */
    public synchronized long nanosUntilAllowed(long nowNanos) {
        if ((state == State.OPEN || state == State.PAUSED) && nowNanos - reopenAtNanos >= 0) {
            state = State.HALF_OPEN;
            trialInFlight = false;
        }
        return switch (state) {
            case CLOSED -> 0;
            case HALF_OPEN -> trialInFlight ? Long.MAX_VALUE : 0;
            case OPEN, PAUSED -> reopenAtNanos - nowNanos;
        };
    }

    /** A mail was handed to the relay; in HALF_OPEN it is the one trial. */
    synchronized void dispatched() {
        if (state == State.HALF_OPEN) {
            trialInFlight = true;
        }
    }

    /** The relay took a mail, or answered about the mail itself: it works. */
    synchronized void succeeded() {
        if (state == State.HALF_OPEN || state == State.CLOSED) {
            state = State.CLOSED;
            trialInFlight = false;
            consecutiveFailures = 0;
        }
        // OPEN or PAUSED: a mail that was already on its way when the relay failed; the trial decides.
    }

    /** A mail handed to the relay ended without an answer from it (not sent at all): a trial may start again. */
    synchronized void abandoned() {
        if (state == State.HALF_OPEN) {
            trialInFlight = false;
        }
    }

    /** The relay could not be reached or failed mid-conversation. @return the cool-down now in force */
    synchronized Duration failed(long nowNanos, FailureCategory category, String detail) {
        record(category, detail);
        if (isCooling(nowNanos)) {
            return Duration.ofNanos(reopenAtNanos - nowNanos); // Several mails in flight failed together: one failure.
        }
        consecutiveFailures++;
        Duration cooldown = cooldown(consecutiveFailures);
        open(State.OPEN, nowNanos, cooldown);
        return cooldown;
    }

    /** The relay refused the credentials. @return the pause now in force */
    synchronized Duration authRefused(long nowNanos, FailureCategory category, String detail) {
        record(category, detail);
        if (state == State.PAUSED && nowNanos - reopenAtNanos < 0) {
            return Duration.ofNanos(reopenAtNanos - nowNanos);
        }
        consecutiveFailures++;
        open(State.PAUSED, nowNanos, authPause);
        return authPause;
    }

    public synchronized Snapshot snapshot(long nowNanos) {
        long until = (state == State.OPEN || state == State.PAUSED) ? Math.max(0, reopenAtNanos - nowNanos) : 0;
        return new Snapshot(state, until, consecutiveFailures, lastCategory, lastFailure);
    }

    Duration cooldown(int failures) {
        long millis = initialCooldown.toMillis();
        for (int i = 1; i < failures && millis < maxCooldown.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, maxCooldown.toMillis()));
    }

    private boolean isCooling(long nowNanos) {
        return (state == State.OPEN || state == State.PAUSED) && nowNanos - reopenAtNanos < 0;
    }

    private void open(State newState, long nowNanos, Duration duration) {
        state = newState;
        reopenAtNanos = nowNanos + duration.toNanos();
        trialInFlight = false;
    }

    private void record(FailureCategory category, String detail) {
        lastCategory = category;
        lastFailure = detail == null ? "" : detail;
    }
}
