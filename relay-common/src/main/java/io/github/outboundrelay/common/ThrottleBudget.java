package io.github.outboundrelay.common;

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
     * Takes one mail's permit if the budget has one now.
     *
     * @param nowNanos this process's monotonic clock ({@link System#nanoTime()} unless a test drives it); a budget
     *                 shared between processes keeps time by a clock they share instead
     * @return 0 when a permit was taken; otherwise how many nanoseconds until one may be free (nothing was taken)
     */
    long tryTake(long nowNanos);

    /** Returns a permit that {@link #tryTake} gave but no mail used. */
    void giveBack(long nowNanos);

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

        /**
         * The budget for {@code limit} mails per {@code period} through one relay.
         *
         * @param relayName {@link RelaySettings#relayName()}, which with the period names the budget
         */
        ThrottleBudget budget(String relayName, int limit, Duration period, long nowNanos);
    }
}
