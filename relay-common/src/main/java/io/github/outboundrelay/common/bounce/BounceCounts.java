package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Accepted recipients and reports per hour, for the last 7 days: a ring of 168 hourly buckets, so the rates cost a
 * fixed 168 x 4 longs however much mail flows. Windows are whole hours (the 24-hour window is the current hour and
 * the 23 before it). Held in memory; {@link BounceTracker} saves them beside the suppression list when it has a
 * directory, so a restart keeps them. Shared counts (a cluster) are {@link StoredBounceCounts}.
 */
final class BounceCounts implements RateCounts {
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

    @Override
    public synchronized void sent(int recipients, Instant now) {
        sent[bucket(now)] += recipients;
    }

    @Override
    public synchronized void reported(BounceKind kind, Instant now) {
        int b = bucket(now);
        switch (kind) {
            case HARD -> hard[b]++;
            case SOFT -> soft[b]++;
            case COMPLAINT -> complaints[b]++;
            case UNKNOWN -> { }
        }
    }

    @Override
    public synchronized BounceMetrics.Window window(Duration span, Instant now) {
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

    /** The buckets with anything in them, one line each: {@code hour TAB sent TAB hard TAB soft TAB complaints}. */
    synchronized List<String> toLines() {
        List<String> lines = new ArrayList<>();
        for (int b = 0; b < HOURS; b++) {
            if (hourOf[b] >= 0 && (sent[b] | hard[b] | soft[b] | complaints[b]) != 0) {
                lines.add(hourOf[b] + "\t" + sent[b] + "\t" + hard[b] + "\t" + soft[b] + "\t" + complaints[b]);
            }
        }
        return lines;
    }

    /** Adds what {@link #toLines()} wrote; lines a week old or unreadable are skipped (they would not count anyway). */
    synchronized void addLines(List<String> lines, Instant now) {
        long current = now.toEpochMilli() / HOUR_MS;
        for (String line : lines) {
            String[] f = line.split("\t");
            try {
                long hour = Long.parseLong(f[0]);
                if (f.length != 5 || hour <= current - HOURS || hour > current) {
                    continue;
                }
                int b = bucket(Instant.ofEpochMilli(hour * HOUR_MS));
                sent[b] += Long.parseLong(f[1]);
                hard[b] += Long.parseLong(f[2]);
                soft[b] += Long.parseLong(f[3]);
                complaints[b] += Long.parseLong(f[4]);
            } catch (NumberFormatException e) {
                // A damaged line costs its hour's counts, never the start.
            }
        }
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
