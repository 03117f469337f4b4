package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMetrics;
import java.time.Duration;
import java.time.Instant;

/**
 * Accepted recipients and reports per hour, for the last 7 days: a ring of 168 hourly buckets, so the rates cost a
 * fixed 168 x 4 longs however much mail flows. Windows are whole hours (the 24-hour window is the current hour and
 * the 23 before it). Held in memory: the counts start again at zero when the process restarts.
 */
final class BounceCounts {
    static final int HOURS = 7 * 24;
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();

    private final long[] hourOf = new long[HOURS]; // guarded by this: which hour a bucket holds now
    private final long[] sent = new long[HOURS];
    private final long[] hard = new long[HOURS];
    private final long[] soft = new long[HOURS];
    private final long[] complaints = new long[HOURS];

    BounceCounts() {
        java.util.Arrays.fill(hourOf, -1);
    }

    synchronized void sent(int recipients, Instant now) {
        sent[bucket(now)] += recipients;
    }

    synchronized void reported(BounceKind kind, Instant now) {
        int b = bucket(now);
        switch (kind) {
            case HARD -> hard[b]++;
            case SOFT -> soft[b]++;
            case COMPLAINT -> complaints[b]++;
            case UNKNOWN -> { }
        }
    }

    synchronized BounceMetrics.Window window(Duration span, Instant now) {
        long hours = Math.min(HOURS, span.toHours());
        long current = now.toEpochMilli() / HOUR_MS;
        long s = 0, h = 0, so = 0, c = 0;
        for (long hour = current - hours + 1; hour <= current; hour++) {
            int b = (int) Math.floorMod(hour, HOURS);
            if (hourOf[b] == hour) {
                s += sent[b];
                h += hard[b];
                so += soft[b];
                c += complaints[b];
            }
        }
        return new BounceMetrics.Window(span, s, h, so, c);
    }

    /** The bucket of {@code now}'s hour, emptied first if it still holds an hour a week old. */
    private int bucket(Instant now) {
        long hour = now.toEpochMilli() / HOUR_MS;
        int b = (int) Math.floorMod(hour, HOURS);
        if (hourOf[b] != hour) {
            hourOf[b] = hour;
            sent[b] = 0;
            hard[b] = 0;
            soft[b] = 0;
            complaints[b] = 0;
        }
        return b;
    }
}
