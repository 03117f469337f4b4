package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceCountStore;
import io.github.outboundrelay.common.BounceCountStore.HourlyCounts;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMetrics;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The rate counts shared through a {@link BounceCountStore} (docs/bounces.md, "Sharing the counts"). A sent mail or a
 * report only adds to this node's deltas in memory; the deltas go to the store every flush period, at
 * {@link #flush()} (after each poll's reports) and at {@link #close()}. A flush that fails keeps its deltas for the next
 * one, so a database outage delays the counts and never loses them nor fails a send. The rates are computed from the
 * store's sums, read at most once per cache period, plus the deltas not yet flushed, so this node's own mail counts at
 * once and every node's within a flush period plus a cache period.
 *
 * <p>Thread-safe. {@code this} guards the deltas (held for a few array updates per mail); {@code io} orders the store's
 * calls with the reading of a window, so a window never sees a delta both in the sums and still pending, nor in
 * neither.
 */
final class StoredBounceCounts implements RateCounts, AutoCloseable {
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.bounces");
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();
    /** How long sums read from the store are used before they are read again; shorter when the flush period is. */
    static final Duration MAX_CACHE = Duration.ofSeconds(10);
    /** One thread flushes every realm's counts: a flush is one short write, and a process may hold many realms. */
    private static final ScheduledExecutorService FLUSHER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "outbound-relay-bounce-counts");
        t.setDaemon(true);
        return t;
    });

    private final BounceCountStore store;
    private final Duration flushPeriod;
    private final Duration cachePeriod;
    private final LongSupplier nanoTime;
    private final Object io = new Object();
    private final TreeMap<Long, long[]> pending = new TreeMap<>(); // guarded by this: hour -> sent, hard, soft, complaints
    private Map<Long, long[]> sums = Map.of();   // guarded by io: the store's sums at the last read, plus own flushes
    private long sumsReadAtNanos;                 // guarded by io
    private boolean sumsRead;                     // guarded by io
    private boolean failing;                      // guarded by io: the last flush failed (logged once per outage)
    private volatile boolean closed;
    private ScheduledFuture<?> task;              // guarded by this

    StoredBounceCounts(BounceCountStore store, Duration flushPeriod) {
        this(store, flushPeriod, System::nanoTime);
    }

    /** @param nanoTime the clock the cache period is measured on */
    StoredBounceCounts(BounceCountStore store, Duration flushPeriod, LongSupplier nanoTime) {
        this.store = Objects.requireNonNull(store, "store");
        if (flushPeriod.isNegative() || flushPeriod.isZero()) {
            throw new IllegalArgumentException("the flush period must be positive: " + flushPeriod);
        }
        this.flushPeriod = flushPeriod;
        this.cachePeriod = flushPeriod.compareTo(MAX_CACHE) < 0 ? flushPeriod : MAX_CACHE;
        this.nanoTime = nanoTime;
    }

    /** Flushes every flush period on a shared daemon thread until {@link #close()}. */
    synchronized void start() {
        if (task == null && !closed) {
            long ms = flushPeriod.toMillis();
            task = FLUSHER.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void sent(int recipients, Instant now) {
        add(now, 0, recipients);
    }

    @Override
    public void reported(BounceKind kind, Instant now) {
        switch (kind) {
            case HARD -> add(now, 1, 1);
            case SOFT -> add(now, 2, 1);
            case COMPLAINT -> add(now, 3, 1);
            case UNKNOWN -> { }
        }
    }

    private void add(Instant now, int column, long n) {
        synchronized (this) {
            pending.computeIfAbsent(hour(now), h -> new long[4])[column] += n;
        }
        if (closed) {
            // A send that finished after close (a queue draining after its settings were replaced): no period is
            // left to carry it, so it goes now.
            flushQuietly();
        }
    }

    @Override
    public BounceMetrics.Window window(Duration span, Instant now) {
        long hours = Math.min(BounceCounts.HOURS, span.toHours());
        long current = hour(now);
        long[] total = new long[4];
        synchronized (io) {
            Map<Long, long[]> stored = sums(current);
            Map<Long, long[]> own;
            synchronized (this) {
                own = copy(pending);
            }
            for (long h = current - hours + 1; h <= current; h++) {
                addTo(total, stored.get(h));
                addTo(total, own.get(h));
            }
        }
        return new BounceMetrics.Window(span, total[0], total[1], total[2], total[3]);
    }

    /** The store's sums, read again when the cache period has passed; the last ones while the store cannot be read. */
    private Map<Long, long[]> sums(long current) {
        long nanos = nanoTime.getAsLong();
        if (sumsRead && nanos - sumsReadAtNanos < cachePeriod.toNanos()) {
            return sums;
        }
        sumsReadAtNanos = nanos;
        try {
            Map<Long, long[]> read = new HashMap<>();
            for (HourlyCounts c : store.read(current - BounceCounts.HOURS + 1, current)) {
                addTo(read.computeIfAbsent(c.epochHour(), h -> new long[4]), columns(c));
            }
            sums = read;
            sumsRead = true;
        } catch (IOException | RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "The shared bounce counts could not be read (" + e.getMessage()
                    + "); the rates use the last sums read and this node's own counts, and are read again in "
                    + cachePeriod.toSeconds() + " s");
        }
        return sums;
    }

    /**
     * Hands this node's deltas to the store. On success they move from the deltas into the cached sums; on failure
     * they stay, to be added again at the next flush.
     */
    void flush() throws IOException {
        synchronized (io) {
            Map<Long, long[]> taken;
            synchronized (this) {
                taken = copy(pending);
            }
            if (taken.isEmpty()) {
                return;
            }
            List<HourlyCounts> deltas = new ArrayList<>();
            taken.forEach((h, c) -> deltas.add(new HourlyCounts(h, c[0], c[1], c[2], c[3])));
            store.add(deltas);
            synchronized (this) {
                taken.forEach((h, c) -> {
                    long[] left = pending.get(h);
                    for (int i = 0; i < 4; i++) {
                        left[i] -= c[i]; // what arrived during the write stays pending
                    }
                    if (left[0] == 0 && left[1] == 0 && left[2] == 0 && left[3] == 0) {
                        pending.remove(h);
                    }
                });
            }
            Map<Long, long[]> merged = copy(sums);
            taken.forEach((h, c) -> addTo(merged.computeIfAbsent(h, x -> new long[4]), c));
            sums = merged;
            if (failing) {
                failing = false;
                LOGGER.log(System.Logger.Level.INFO, "The shared bounce counts are written again");
            }
        }
    }

    /** As {@link #flush()}; a failure is logged (once per outage) and its deltas wait for the next flush. */
    void flushQuietly() {
        try {
            flush();
        } catch (IOException | RuntimeException e) {
            synchronized (io) {
                if (!failing) {
                    failing = true;
                    LOGGER.log(System.Logger.Level.WARNING, "The bounce counts could not be written (" + e.getMessage()
                            + "); they are kept in memory and written again in " + flushPeriod.toSeconds() + " s");
                }
            }
        }
    }

    /** Stops the period and flushes what is left; counts arriving later are written as they come. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (task != null) {
                task.cancel(false);
            }
        }
        flushQuietly();
    }

    Duration cachePeriod() {
        return cachePeriod;
    }

    /** The deltas not yet in the store, per hour; for tests. */
    synchronized Map<Long, long[]> pending() {
        return copy(pending);
    }

    static long hour(Instant now) {
        return Math.floorDiv(now.toEpochMilli(), HOUR_MS);
    }

    private static long[] columns(HourlyCounts c) {
        return new long[] {c.sent(), c.hardBounces(), c.softBounces(), c.complaints()};
    }

    private static void addTo(long[] total, long[] add) {
        if (add != null) {
            for (int i = 0; i < 4; i++) {
                total[i] += add[i];
            }
        }
    }

    private static Map<Long, long[]> copy(Map<Long, long[]> from) {
        Map<Long, long[]> to = new HashMap<>();
        from.forEach((h, c) -> to.put(h, c.clone()));
        return to;
    }
}
