package io.github.outboundrelay.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A wall clock and a monotonic ticker that move only when the test says so. */
public final class ManualTime extends Clock {
    private final Instant start;
    private final AtomicLong nanos = new AtomicLong();

    public ManualTime() {
        this(Instant.parse("2025-03-01T08:00:00Z"));
    }

    public ManualTime(Instant start) {
        this.start = start;
    }

    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant instant() {
        return start.plusNanos(nanos.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
