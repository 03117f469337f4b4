package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Throttle;
import io.github.outboundrelay.common.ThrottleBudget;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One relay as the queue sees it: its pooled client, its health (circuit breaker), its throttle (messages and
 * recipients, per minute and per hour, in budgets of this process or shared with others) and its share of
 * connections. A mail is handed to it only when all three allow. The budgets belong to the dispatch lock; the rest
 * is thread-safe.
 */
public final class RelayLane {
    public final RelaySettings settings;
    public final RelayClient client;
    public final RelayCircuitBreaker breaker;
    public final Throttle throttle;
    public final LongAdder sent = new LongAdder();
    public final LongAdder failed = new LongAdder();
    private final ThrottleBudget perMinute;
    private final ThrottleBudget perHour;
    private final ThrottleBudget recipientsPerMinute;
    private final ThrottleBudget recipientsPerHour;
    private final AtomicInteger inFlight = new AtomicInteger();

    public RelayLane(RelaySettings settings, RelayClient client, RelayCircuitBreaker breaker, Throttle throttle, long nowNanos) {
        this(settings, client, breaker, throttle, ThrottleBudget.Source.LOCAL, nowNanos);
    }

    public RelayLane(RelaySettings settings, RelayClient client, RelayCircuitBreaker breaker, Throttle throttle,
              ThrottleBudget.Source budgets, long nowNanos) {
        this.settings = settings;
        this.client = client;
        this.breaker = breaker;
        this.throttle = throttle;
        this.perMinute = throttle.perMinute() > 0
                ? budgets.budget(settings.relayName(), throttle.perMinute(), Duration.ofMinutes(1), nowNanos) : null;
        this.perHour = throttle.perHour() > 0
                ? budgets.budget(settings.relayName(), throttle.perHour(), Duration.ofHours(1), nowNanos) : null;
        String recipients = settings.relayName() + ThrottleBudget.Source.RECIPIENTS_SUFFIX;
        this.recipientsPerMinute = throttle.recipientsPerMinute() > 0
                ? budgets.budget(recipients, throttle.recipientsPerMinute(), Duration.ofMinutes(1), nowNanos) : null;
        this.recipientsPerHour = throttle.recipientsPerHour() > 0
                ? budgets.budget(recipients, throttle.recipientsPerHour(), Duration.ofHours(1), nowNanos) : null;
    }

    public String name() {
        return settings.relayName();
    }

    /**
     * 0 when a connection slot is free and this lane's permits (per minute, per hour) are now reserved for one mail;
     * else nanos until a permit may be, or {@link Long#MAX_VALUE} when every connection is busy (a finishing send
     * wakes the dispatcher). Connections are capped at {@link RelaySettings#maxConnections()}, the pool's own size,
     * so a send never waits inside the pool. A reservation is followed by {@link #dispatched} or {@link #release}.
     */
    public long reserve(long nowNanos) {
        if (inFlight.get() >= settings.maxConnections()) {
            return Long.MAX_VALUE;
        }
        return reserveChained(nowNanos);
    }

    /**
     * As {@link #reserve} for a mail chained behind another on a connection this lane already holds: the mail
     * takes its own permits (per minute, per hour), not another connection slot. Followed by {@link #release} or
     * nothing (the chain's slot stays one).
     */
    long reserveChained(long nowNanos) {
        if (perMinute != null) {
            long wait = perMinute.tryTake(nowNanos);
            if (wait > 0) {
                return wait;
            }
        }
        if (perHour != null) {
            long wait = perHour.tryTake(nowNanos);
            if (wait > 0) {
                if (perMinute != null) {
                    perMinute.giveBack(nowNanos);
                }
                return wait;
            }
        }
        return 0;
    }

    /** Gives back what {@link #reserve} took when no mail was due after all. */
    void release(long nowNanos) {
        if (perMinute != null) {
            perMinute.giveBack(nowNanos);
        }
        if (perHour != null) {
            perHour.giveBack(nowNanos);
        }
    }

    /**
     * Takes the recipient permits of a mail to {@code recipients} addresses, after {@link #reserve} and before
     * {@link #dispatched}: 0 when taken (or this lane counts no recipients), else nanos until they may be and
     * nothing taken. A mail with more recipients than a limit's burst waits for a full budget, then goes.
     */
    long takeRecipients(int recipients, long nowNanos) {
        if (recipientsPerMinute != null) {
            long wait = recipientsPerMinute.tryTake(nowNanos, recipients);
            if (wait > 0) {
                return wait;
            }
        }
        if (recipientsPerHour != null) {
            long wait = recipientsPerHour.tryTake(nowNanos, recipients);
            if (wait > 0) {
                if (recipientsPerMinute != null) {
                    recipientsPerMinute.giveBack(nowNanos, recipients);
                }
                return wait;
            }
        }
        return 0;
    }

    /** Gives back what {@link #reserve} and {@link #takeRecipients} took for a mail that was not sent after all. */
    void release(long nowNanos, int recipients) {
        release(nowNanos);
        if (recipientsPerMinute != null) {
            recipientsPerMinute.giveBack(nowNanos, recipients);
        }
        if (recipientsPerHour != null) {
            recipientsPerHour.giveBack(nowNanos, recipients);
        }
    }

    /** Takes a slot for the mail {@link #reserve} made room for. */
    void dispatched(long nowNanos) {
        inFlight.incrementAndGet();
        breaker.dispatched();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }
}
