package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.ThrottleBudget;

import java.time.Duration;

/**
 * A rate limit: tokens refill continuously at {@code limit} per {@code period}, up to a small burst
 * ({@link ThrottleBudget#burst}), and each mail takes one (or one per recipient). Any window of one period admits
 * at most {@code limit * 1.05 + 1} tokens: the rate holds within 10 % over the period however the mail arrives. A
 * take of more tokens than the burst waits for a full bucket and leaves it in debt (negative), which the next takes
 * wait out: such a mail is the only way past the bound, by its own size, once.
 * Not thread-safe: the queue's dispatch lock guards it. Time is an argument, so tests drive it without sleeping.
 */
public final class TokenBucket implements ThrottleBudget {
    private final double capacity;
    private final double tokensPerNano;
    private double tokens;
    private long updatedNanos;

    public TokenBucket(int limit, Duration period, long nowNanos) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        this.capacity = ThrottleBudget.burst(limit);
        this.tokensPerNano = limit / (double) period.toNanos();
        this.tokens = capacity;
        this.updatedNanos = nowNanos;
    }

    /** 0 when a token is available now, else how long until one is. */
    long nanosUntilAvailable(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1.0) {
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1.0 - tokens) / tokensPerNano));
    }

    /** Takes a token; call only after {@link #nanosUntilAvailable} returned 0 at the same time. */
    void take(long nowNanos) {
        refill(nowNanos);
        tokens -= 1.0;
    }

    @Override
    public long tryTake(long nowNanos, int permits) {
        requirePositive(permits);
        refill(nowNanos);
        double needed = Math.min(permits, capacity); // more than a burst: a full bucket lets it go, into debt
        if (tokens >= needed) {
            tokens -= permits;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((needed - tokens) / tokensPerNano));
    }

    @Override
    public void giveBack(long nowNanos, int permits) {
        requirePositive(permits);
        refill(nowNanos);
        tokens = Math.min(capacity, tokens + permits);
    }

    private static void requirePositive(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be positive, was " + permits);
        }
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * tokensPerNano);
            updatedNanos = nowNanos;
        }
    }
}
