package io.github.outboundrelay.common;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * When the queue tries a mail again after a transient failure, and when it gives up. Exponential backoff with
 * jitter, as Postfix does it ({@code minimal_backoff_time}, {@code maximal_backoff_time},
 * {@code maximal_queue_lifetime}) but scaled for application mail, where a password-reset link is useless after a
 * day: the first retry comes after seconds, the delay doubles up to minutes, the mail is given up after 24 hours.
 *
 * <p>The delay before retry {@code n} (n = 1 after the first failed attempt) is
 * {@code min(maxDelay, firstRetry * multiplier^(n-1))}, shortened by a random fraction of up to {@code jitter} so that
 * mail deferred together does not come back together. A mail is given up only after a failed attempt, when it is
 * older than {@code lifetime}: mail that waited for a relay to come back still gets its attempt.
 *
 * <pre>{@code
 * RetrySchedule schedule = RetrySchedule.builder()
 *         .firstRetry(Duration.ofSeconds(15)).maxDelay(Duration.ofMinutes(10)).lifetime(Duration.ofHours(24))
 *         .build();
 * }</pre>
 */
public final class RetrySchedule {
    public static final Duration DEFAULT_FIRST_RETRY = Duration.ofSeconds(15);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(10);
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    public static final double DEFAULT_MULTIPLIER = 2.0;
    public static final double DEFAULT_JITTER = 0.2;

    private static final RetrySchedule DEFAULTS = builder().build();

    private final Duration firstRetry;
    private final Duration maxDelay;
    private final Duration lifetime;
    private final double multiplier;
    private final double jitter;

    private RetrySchedule(Builder b) {
        this.firstRetry = b.firstRetry;
        this.maxDelay = b.maxDelay;
        this.lifetime = b.lifetime;
        this.multiplier = b.multiplier;
        this.jitter = b.jitter;
    }

    /** 15 s, doubling, at most 10 min apart, given up after 24 h, 20 % jitter. */
    public static RetrySchedule defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The delay before the next attempt after {@code failedAttempts} failed ones.
     *
     * @param random a number in [0, 1) from the caller's random source: tests pass a fixed one
     */
    public Duration delayAfter(int failedAttempts, double random) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be at least 1, was " + failedAttempts);
        }
        double base = firstRetry.toMillis() * Math.pow(multiplier, failedAttempts - 1);
        double capped = Math.min(base, maxDelay.toMillis());
        double jittered = capped * (1.0 - jitter * Math.min(Math.max(random, 0.0), 1.0));
        return Duration.ofMillis(Math.max(1, Math.round(jittered)));
    }

    /** Whether a mail first submitted at {@code firstSubmitted} has outlived the schedule at {@code now}. */
    public boolean isExpired(Instant firstSubmitted, Instant now) {
        return Duration.between(firstSubmitted, now).compareTo(lifetime) >= 0;
    }

    public Duration firstRetry() {
        return firstRetry;
    }

    public Duration maxDelay() {
        return maxDelay;
    }

    public Duration lifetime() {
        return lifetime;
    }

    public double multiplier() {
        return multiplier;
    }

    public double jitter() {
        return jitter;
    }

    @Override
    public String toString() {
        return "RetrySchedule[first " + firstRetry + ", x" + multiplier + ", max " + maxDelay + ", lifetime " + lifetime
                + ", jitter " + jitter + "]";
    }

    /** Defaults live here. Each setter checks its value; {@link #build()} checks them against each other. */
    public static final class Builder {
        private Duration firstRetry = DEFAULT_FIRST_RETRY;
        private Duration maxDelay = DEFAULT_MAX_DELAY;
        private Duration lifetime = DEFAULT_LIFETIME;
        private double multiplier = DEFAULT_MULTIPLIER;
        private double jitter = DEFAULT_JITTER;

        private Builder() {
        }

        public Builder firstRetry(Duration firstRetry) {
            this.firstRetry = positive("retryFirstDelay", firstRetry);
            return this;
        }

        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = positive("retryMaxDelay", maxDelay);
            return this;
        }

        /** How long after submission a mail that keeps failing transiently is given up (dead-lettered as EXPIRED). */
        public Builder lifetime(Duration lifetime) {
            this.lifetime = positive("retryLifetime", lifetime);
            return this;
        }

        public Builder multiplier(double multiplier) {
            if (!(multiplier >= 1.0 && multiplier <= 10.0)) {
                throw new InvalidInputException("retryMultiplier", "is " + multiplier + ", outside 1..10",
                        "Use 2 to double the delay after each failure");
            }
            this.multiplier = multiplier;
            return this;
        }

        /** The largest fraction by which a delay is shortened at random, in [0, 1). */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0.0 && jitter < 1.0)) {
                throw new InvalidInputException("retryJitter", "is " + jitter + ", outside 0..1",
                        "Use 0.2 to spread retries over the last fifth of each delay");
            }
            this.jitter = jitter;
            return this;
        }

        /** @throws IllegalStateException when the first retry is longer than the maximum delay or the lifetime */
        public RetrySchedule build() {
            if (firstRetry.compareTo(maxDelay) > 0) {
                throw new IllegalStateException("retryFirstDelay (" + firstRetry + ") is longer than retryMaxDelay ("
                        + maxDelay + "): lower the first or raise the maximum");
            }
            if (firstRetry.compareTo(lifetime) >= 0) {
                throw new IllegalStateException("retryFirstDelay (" + firstRetry + ") is not shorter than retryLifetime ("
                        + lifetime + "): no retry would ever happen");
            }
            return new RetrySchedule(this);
        }

        private static Duration positive(String field, Duration value) {
            Objects.requireNonNull(value, field);
            if (value.isNegative() || value.isZero()) {
                throw new InvalidInputException(field, "must be a positive duration, was " + value, "Give a duration such as 15 s");
            }
            return value;
        }
    }
}
