package io.github.outboundrelay.common.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    static final long SECOND = 1_000_000_000L;

    /** Takes tokens as fast as the bucket allows from {@code from} to {@code to}; returns how many. */
    static int drain(TokenBucket bucket, long from, long to) {
        int taken = 0;
        long now = from;
        while (now < to) {
            long wait = bucket.nanosUntilAvailable(now);
            if (wait == 0) {
                bucket.take(now);
                taken++;
            } else {
                now += wait;
            }
        }
        return taken;
    }

    @Test
    void aPerMinuteLimitHoldsWithinTenPercentOverTheFirstMinuteAndEveryMinuteAfter() {
        for (int limit : new int[] {10, 30, 120, 600, 6000}) {
            TokenBucket bucket = new TokenBucket(limit, Duration.ofMinutes(1), 0);
            int first = drain(bucket, 0, 60 * SECOND);
            int second = drain(bucket, 60 * SECOND, 120 * SECOND);
            assertThat(first).as("first minute at %d/min", limit).isBetween((int) (limit * 0.9), (int) Math.ceil(limit * 1.1));
            assertThat(second).as("second minute at %d/min", limit).isBetween((int) (limit * 0.9), (int) Math.ceil(limit * 1.1));
        }
    }

    @Test
    void aPerHourLimitSpreadsMailOverTheHourInsteadOfSendingItAllAtOnce() {
        TokenBucket bucket = new TokenBucket(600, Duration.ofHours(1), 0);
        assertThat(drain(bucket, 0, 60 * SECOND)).isBetween(30, 41);      // a burst of 30, then 10 per minute
        assertThat(drain(bucket, 60 * SECOND, 3600 * SECOND)).isBetween(580, 600);
    }

    @Test
    void anIdleBucketSavesUpOnlyASmallBurst() {
        TokenBucket bucket = new TokenBucket(120, Duration.ofMinutes(1), 0);
        assertThat(drain(bucket, 3600 * SECOND, 3600 * SECOND + 1)).isEqualTo(6);
        assertThat(bucket.nanosUntilAvailable(3600 * SECOND + 1)).isBetween(499_000_000L, 500_000_000L);
    }

    @Test
    void aTakeOfSeveralPermitsWaitsUntilTheBucketHoldsThemAll() {
        TokenBucket bucket = new TokenBucket(600, Duration.ofMinutes(1), 0); // 10 a second, burst 30
        assertThat(bucket.tryTake(0, 25)).isZero();
        long wait = bucket.tryTake(0, 10);
        assertThat(wait).as("5 left, 10 asked: 5 more at 10 a second").isBetween(499_000_000L, 500_000_000L);
        assertThat(bucket.tryTake(wait, 10)).isZero();
    }

    @Test
    void aTakeLargerThanTheBurstWaitsForAFullBucketAndLeavesADebtTheNextTakePays() {
        TokenBucket bucket = new TokenBucket(60, Duration.ofMinutes(1), 0); // 1 a second, burst 3
        assertThat(bucket.tryTake(0, 2)).isZero();
        assertThat(bucket.tryTake(0, 50)).as("waits for the bucket to be full, not for 50 tokens")
                .isBetween(1_999_999_999L, 2 * SECOND);
        assertThat(bucket.tryTake(2 * SECOND, 50)).isZero();
        // 3 - 50 = -47: one more token is 48 s away.
        assertThat(bucket.tryTake(2 * SECOND, 1)).isBetween(48 * SECOND - 1, 48 * SECOND);
    }

    @Test
    void permitsGivenBackAreAvailableAgainButNeverBeyondTheBurst() {
        TokenBucket bucket = new TokenBucket(60, Duration.ofMinutes(1), 0);
        assertThat(bucket.tryTake(0, 3)).isZero();
        bucket.giveBack(0, 3);
        bucket.giveBack(0, 3);
        assertThat(bucket.tryTake(0, 3)).isZero();
        assertThat(bucket.tryTake(0, 1)).isPositive();
    }
}
