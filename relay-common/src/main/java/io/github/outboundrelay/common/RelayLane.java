package io.github.outboundrelay.common;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One relay as the queue sees it: its pooled client, its health (circuit breaker), its throttle (per minute, per
 * hour) and its share of connections. A mail is handed to it only when all three allow. The throttle belongs to the
 * dispatcher thread; the rest is thread-safe.
 */
final class RelayLane {
    final RelaySettings settings;
    final RelayClient client;
    final RelayCircuitBreaker breaker;
    final Throttle throttle;
    final LongAdder sent = new LongAdder();
    final LongAdder failed = new LongAdder();
    private final TokenBucket perMinute;
    private final TokenBucket perHour;
    private final AtomicInteger inFlight = new AtomicInteger();

    RelayLane(RelaySettings settings, RelayClient client, RelayCircuitBreaker breaker, Throttle throttle, long nowNanos) {
        this.settings = settings;
        this.client = client;
        this.breaker = breaker;
        this.throttle = throttle;
        this.perMinute = throttle.perMinute() > 0 ? new TokenBucket(throttle.perMinute(), Duration.ofMinutes(1), nowNanos) : null;
        this.perHour = throttle.perHour() > 0 ? new TokenBucket(throttle.perHour(), Duration.ofHours(1), nowNanos) : null;
    }

    String name() {
        return settings.relayName();
    }

    /**
     * 0 when a connection slot and a token are free now; else nanos until a token is, or {@link Long#MAX_VALUE}
     * when every connection is busy (a finishing send wakes the dispatcher). Connections are capped at
     * {@link RelaySettings#maxConnections()}, the pool's own size, so a send never waits inside the pool.
     */
    long nanosUntilReady(long nowNanos) {
        if (inFlight.get() >= settings.maxConnections()) {
            return Long.MAX_VALUE;
        }
        long wait = 0;
        if (perMinute != null) {
            wait = Math.max(wait, perMinute.nanosUntilAvailable(nowNanos));
        }
        if (perHour != null) {
            wait = Math.max(wait, perHour.nanosUntilAvailable(nowNanos));
        }
        return wait;
    }

    /** Takes a slot and a token; call right after {@link #nanosUntilReady} returned 0. */
    void dispatched(long nowNanos) {
        inFlight.incrementAndGet();
        if (perMinute != null) {
            perMinute.take(nowNanos);
        }
        if (perHour != null) {
            perHour.take(nowNanos);
        }
        breaker.dispatched();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }
}
