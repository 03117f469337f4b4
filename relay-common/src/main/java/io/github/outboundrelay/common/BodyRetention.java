package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.Spool;

import java.time.Duration;
import java.time.Instant;

/**
 * Deletes the bodies of dead letters and quarantined entries once they are older than the retention, so that the
 * reset links they carry do not stay at rest for as long as an administrator leaves the dead letters alone. The
 * queue's dispatcher loop calls {@link #runIfDue} on every turn (at least every few seconds); the spool is asked at
 * most once per {@link #interval} (a minute, or less for a shorter retention), so a body outlives its retention by
 * that much at most. Time is a parameter: tests pass their own.
 */
final class BodyRetention {
    static final Duration MAX_INTERVAL = Duration.ofMinutes(1);
    static final Duration MIN_INTERVAL = Duration.ofSeconds(5);
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    private final Spool spool;
    private final Duration retention;
    private final Duration interval;
    private Instant next = Instant.MIN; // only the dispatcher thread (or a test) calls in

    BodyRetention(Spool spool, Duration retention) {
        this.spool = spool;
        this.retention = retention;
        this.interval = retention.compareTo(MAX_INTERVAL) > 0 ? MAX_INTERVAL
                : retention.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : retention;
    }

    /** Deletes what outlived the retention at {@code now}, unless the last run was less than an interval ago. */
    void runIfDue(Instant now) {
        if (now.isBefore(next)) {
            return;
        }
        next = now.plus(interval);
        try {
            int deleted = spool.deleteBodies(now.minus(retention));
            if (deleted > 0) {
                LOGGER.log(System.Logger.Level.INFO, "Spool " + spool + ": deleted the bodies of " + deleted
                        + " dead letter(s) or quarantined entries older than " + retention.toHours() + " h; their records stay");
            }
        } catch (RuntimeException e) {
            // Nothing is lost by waiting: the bodies are deleted on a later turn.
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + spool + ": old mail bodies could not be deleted now ("
                    + e.getMessage() + "); trying again in " + interval.toSeconds() + " s");
        }
    }

    Duration interval() {
        return interval;
    }
}
