package io.github.outboundrelay.common;

import io.github.outboundrelay.common.queue.TokenBucket;

import java.time.Duration;

/**
 * Where one of a relay's rate limits keeps its budget. A queue keeps its own in memory unless told otherwise
 * ({@link Source#LOCAL}); processes that send through one relay account together give their queues a budget they
 * share, so that the relay's limit holds for all of them at once rather than for each: a Keycloak cluster keeps it
 * in its database. The queue calls a budget under its dispatch lock, never concurrently with itself.
 *
 * <p>A permit is taken <em>before</em> the queue knows whether a mail is due, so that two processes can never both
 * see the last permit; a permit no mail used is given back at once.
 *
 * <pre>{@code
 * MailQueue.builder()
 *         .relay(settings, Throttle.perMinute(30))
 *         .spool(sharedSpool)
 *         .throttleBudgets((relay, limit, period, nowNanos) -> new SharedBudget(relay, limit, period))
 *         .build();
 * }</pre>
 */
public interface ThrottleBudget {

    /**
     * Takes {@code permits} permits if the budget can give them now: when it holds them, or, for more permits than
     * its burst, when it is full. The second case lets a mail with more recipients than the burst go at all (it
     * would otherwise wait forever); the budget then runs into debt, and what comes after waits until it is paid
     * back, so the rate holds over time.
     *
     * @param nowNanos this process's monotonic clock ({@link System#nanoTime()} unless a test drives it); a budget
     *                 shared between processes keeps time by a clock they share instead
     * @param permits  at least 1: one mail, or one mail's recipients
     * @return 0 when the permits were taken; otherwise how many nanoseconds until they may be (nothing was taken)
     */
    long tryTake(long nowNanos, int permits);

    /** Returns permits that {@link #tryTake} gave but no mail used. */
    void giveBack(long nowNanos, int permits);

    /** Takes one mail's permit: {@code tryTake(nowNanos, 1)}. */
    default long tryTake(long nowNanos) {
        return tryTake(nowNanos, 1);
    }

    /** Returns one permit: {@code giveBack(nowNanos, 1)}. */
    default void giveBack(long nowNanos) {
        giveBack(nowNanos, 1);
    }

    /**
     * The burst every budget allows after a quiet spell: a twentieth of the limit, at least one mail. With it, any
     * window of one period admits at most {@code limit * 1.05 + 1} mails.
     */
    static int burst(int limit) {
        return (int) Math.max(1, Math.ceil(limit / 20.0));
    }

    /** Makes the budgets of a queue's relays. */
    @FunctionalInterface
    interface Source {
        /** A token bucket per relay and limit in this process's memory: right for a queue that sends alone. */
        Source LOCAL = (relayName, limit, period, nowNanos) -> new TokenBucket(limit, period, nowNanos);

        /** Appended to the relay's name for its budgets of recipients, so they never share a message budget's name. */
        String RECIPIENTS_SUFFIX = " recipients";

        /**
         * The budget for {@code limit} mails (or recipients) per {@code period} through one relay.
         *
         * @param relayName {@link RelaySettings#relayName()}, which with the period names the budget; a budget of
         *                  recipients gets the relay's name followed by {@value #RECIPIENTS_SUFFIX}
         */
        ThrottleBudget budget(String relayName, int limit, Duration period, long nowNanos);
    }
}
