package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.spool.SpoolException;
import io.github.outboundrelay.common.ThrottleBudget;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * A rate limit whose budget every node shares through one row of {@code OUTBOUND_RELAY_THROTTLE}, so that "30 per
 * minute" means 30 for the cluster, not 30 per node. The row holds one number, the time at which the token bucket
 * is full again (the generic cell rate algorithm): a permit moves it one interval ({@code period / limit}) later, and
 * is refused while that would put it more than a burst of intervals ahead of now; a take of n permits (a mail's
 * recipients) moves it n intervals, and one of more permits than the burst needs a full bucket and leaves the row
 * ahead of the burst (a debt the next takes wait out), so that it goes at all. Each take or give-back is one
 * short transaction that locks the row ({@code SELECT ... FOR UPDATE}); between refusals the node waits out the
 * answer it got instead of asking again. Time is the wall clock, which every node shares (as Keycloak's tokens
 * already require).
 */
final class DatabaseThrottleBudget implements ThrottleBudget {
    static final String TABLE = "OUTBOUND_RELAY_THROTTLE";

    /** The decision of one take: taken (and the row's new value) or the microseconds to wait. */
    record Take(boolean taken, long fullAtMicros, long waitMicros) {
    }

    private final Database database;
    private final String key;
    private final long intervalMicros;
    private final long burstMicros;
    private final Clock clock;
    private long notBeforeNanos; // guarded by the queue's dispatch lock

    DatabaseThrottleBudget(Database database, String key, int limit, Duration period, Clock clock, long nowNanos) {
        this.database = database;
        this.notBeforeNanos = nowNanos;
        this.key = key;
        this.intervalMicros = Math.max(1, period.toNanos() / 1_000 / limit);
        this.burstMicros = intervalMicros * ThrottleBudget.burst(limit);
        this.clock = clock;
    }

    /**
     * The bucket's arithmetic, on the stored value: full again at {@code fullAt}, asked for {@code permits} at
     * {@code now}. A take larger than the burst asks only for a full bucket.
     */
    static Take take(long fullAtMicros, long nowMicros, long intervalMicros, long burstMicros, int permits) {
        long start = Math.max(fullAtMicros, nowMicros);
        long needed = Math.min(permits * intervalMicros, burstMicros);
        if (start + needed - nowMicros <= burstMicros) {
            return new Take(true, start + permits * intervalMicros, 0);
        }
        return new Take(false, fullAtMicros, start + needed - burstMicros - nowMicros);
    }

    /** Permits not used: the bucket is full again that many intervals sooner, but never earlier than now. */
    static long giveBack(long fullAtMicros, long nowMicros, long intervalMicros, int permits) {
        return Math.max(nowMicros, fullAtMicros - permits * intervalMicros);
    }

    @Override
    public long tryTake(long nowNanos, int permits) {
        if (nowNanos - notBeforeNanos < 0) {
            return notBeforeNanos - nowNanos; // the last answer still holds: no need to ask the database
        }
        long now = micros(clock.instant());
        Take take = update("take a permit", em -> {
            ThrottleBudgetEntity row = lockedRow(em, now);
            Take t = take(row.fullAtMicros, now, intervalMicros, burstMicros, permits);
            row.fullAtMicros = t.fullAtMicros();
            return t;
        });
        if (take.taken()) {
            return 0;
        }
        long waitNanos = Math.max(1, take.waitMicros() * 1_000);
        notBeforeNanos = nowNanos + waitNanos;
        return waitNanos;
    }

    @Override
    public void giveBack(long nowNanos, int permits) {
        long now = micros(clock.instant());
        update("give permits back", em -> {
            ThrottleBudgetEntity row = lockedRow(em, now);
            row.fullAtMicros = giveBack(row.fullAtMicros, now, intervalMicros, permits);
            return null;
        });
    }

    private ThrottleBudgetEntity lockedRow(EntityManager em, long nowMicros) {
        ThrottleBudgetEntity row = em.find(ThrottleBudgetEntity.class, key, LockModeType.PESSIMISTIC_WRITE);
        if (row == null) {
            row = new ThrottleBudgetEntity(key, nowMicros); // a new budget starts full
            em.persist(row);
            em.flush(); // two nodes creating it at once: one fails here, and its retry finds the other's row
        }
        return row;
    }

    private <T> T update(String what, Function<EntityManager, T> work) {
        try {
            return database.callTwice(work);
        } catch (RuntimeException e) {
            throw new SpoolException("database table " + TABLE + " (budget " + key + ")", "cannot " + what + ": " + e,
                    "Check that Keycloak's database is reachable; mail waits in the queue meanwhile", e);
        }
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }
}
