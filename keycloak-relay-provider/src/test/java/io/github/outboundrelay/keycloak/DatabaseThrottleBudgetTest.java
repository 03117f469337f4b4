package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.ThrottleBudget;
import org.junit.jupiter.api.Test;

/** The arithmetic of the budget every node shares through one row: the same promise as a local token bucket. */
class DatabaseThrottleBudgetTest {
    static final long SECOND = 1_000_000L;

    /** The stored value, and how many permits callers got between {@code from} and {@code to} asking as fast as allowed. */
    static long[] drain(long fullAt, long from, long to, int limit, long periodMicros) {
        long interval = periodMicros / limit;
        long burst = interval * ThrottleBudget.burst(limit);
        long now = from;
        long taken = 0;
        while (now < to) {
            DatabaseThrottleBudget.Take t = DatabaseThrottleBudget.take(fullAt, now, interval, burst);
            if (t.taken()) {
                fullAt = t.fullAtMicros();
                taken++;
            } else {
                assertThat(t.waitMicros()).isPositive();
                now += t.waitMicros();
            }
        }
        return new long[] {fullAt, taken};
    }

    @Test
    void aPerMinuteLimitHoldsWithinTenPercentInTheFirstMinuteAndEveryMinuteAfter() {
        for (int limit : new int[] {10, 30, 120, 600, 6000}) {
            long[] first = drain(0, 0, 60 * SECOND, limit, 60 * SECOND);
            long[] second = drain(first[0], 60 * SECOND, 120 * SECOND, limit, 60 * SECOND);
            assertThat(first[1]).as("first minute at %d/min", limit).isBetween((long) (limit * 0.9), (long) Math.ceil(limit * 1.1));
            assertThat(second[1]).as("second minute at %d/min", limit).isBetween((long) (limit * 0.9), (long) Math.ceil(limit * 1.1));
        }
    }

    @Test
    void anIdleBudgetSavesUpOnlyTheBurstAndAPermitGivenBackCanBeTakenAgain() {
        long hourLater = 3600 * SECOND;
        long[] burst = drain(0, hourLater, hourLater + 1, 120, 60 * SECOND);
        assertThat(burst[1]).isEqualTo(6);
        long fullAt = burst[0];
        assertThat(DatabaseThrottleBudget.take(fullAt, hourLater + 1, SECOND / 2, 3 * SECOND).taken()).isFalse();
        long returned = DatabaseThrottleBudget.giveBack(fullAt, hourLater + 1, SECOND / 2);
        assertThat(DatabaseThrottleBudget.take(returned, hourLater + 1, SECOND / 2, 3 * SECOND).taken()).isTrue();
        // Giving back never banks more than a full bucket.
        assertThat(DatabaseThrottleBudget.giveBack(0, hourLater, SECOND / 2)).isEqualTo(hourLater);
    }
}
