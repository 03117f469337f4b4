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
            DatabaseThrottleBudget.Take t = DatabaseThrottleBudget.take(fullAt, now, interval, burst, 1);
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
        assertThat(DatabaseThrottleBudget.take(fullAt, hourLater + 1, SECOND / 2, 3 * SECOND, 1).taken()).isFalse();
        long returned = DatabaseThrottleBudget.giveBack(fullAt, hourLater + 1, SECOND / 2, 1);
        assertThat(DatabaseThrottleBudget.take(returned, hourLater + 1, SECOND / 2, 3 * SECOND, 1).taken()).isTrue();
        // Giving back never banks more than a full bucket.
        assertThat(DatabaseThrottleBudget.giveBack(0, hourLater, SECOND / 2, 1)).isEqualTo(hourLater);
    }

    @Test
    void aMailsRecipientsTakeOnePermitEachAndAMailLargerThanTheBurstGoesOnceTheBudgetIsFull() {
        long interval = SECOND;          // 60 a minute
        long burst = 3 * SECOND;         // ThrottleBudget.burst(60)
        DatabaseThrottleBudget.Take two = DatabaseThrottleBudget.take(0, 100 * SECOND, interval, burst, 2);
        assertThat(two.taken()).isTrue();
        assertThat(two.fullAtMicros()).isEqualTo(102 * SECOND);

        DatabaseThrottleBudget.Take fifty = DatabaseThrottleBudget.take(two.fullAtMicros(), 100 * SECOND, interval, burst, 50);
        assertThat(fifty.taken()).as("one permit left of three: waits for a full budget, not for fifty").isFalse();
        assertThat(fifty.waitMicros()).isEqualTo(2 * SECOND);
        fifty = DatabaseThrottleBudget.take(two.fullAtMicros(), 102 * SECOND, interval, burst, 50);
        assertThat(fifty.taken()).isTrue();
        assertThat(fifty.fullAtMicros()).as("47 permits of debt beyond the burst").isEqualTo(152 * SECOND);
        assertThat(DatabaseThrottleBudget.take(fifty.fullAtMicros(), 102 * SECOND, interval, burst, 1).waitMicros())
                .isEqualTo(48 * SECOND);
        assertThat(DatabaseThrottleBudget.giveBack(fifty.fullAtMicros(), 102 * SECOND, interval, 50)).isEqualTo(102 * SECOND);
    }
}
