package io.github.outboundrelay.common.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.BounceCountStore;
import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.testing.Poll;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rates' counts shared through a {@link BounceCountStore}: each node adds up in memory and writes deltas on a
 * period, a store that fails loses nothing, and a node started later (or another node) reads the same sums.
 */
class StoredBounceCountsTest {
    static final Instant T0 = Instant.parse("2026-12-03T10:15:00Z");
    static final Duration LONG = Duration.ofHours(1); // no background flush during a test that flushes by hand

    @TempDir
    Path dir;
    final AtomicLong nanos = new AtomicLong();

    /** A store in memory, as a database would hold it: sums per hour; it can be told to fail, and counts its writes. */
    static final class MemoryStore implements BounceCountStore {
        final TreeMap<Long, long[]> rows = new TreeMap<>();
        final AtomicInteger writes = new AtomicInteger();
        final List<List<HourlyCounts>> written = new ArrayList<>();
        volatile boolean failing;

        @Override
        public synchronized void add(List<HourlyCounts> deltas) throws IOException {
            if (failing) {
                throw new IOException("database down");
            }
            writes.incrementAndGet();
            written.add(List.copyOf(deltas));
            for (HourlyCounts d : deltas) {
                long[] row = rows.computeIfAbsent(d.epochHour(), h -> new long[4]);
                row[0] += d.sent();
                row[1] += d.hardBounces();
                row[2] += d.softBounces();
                row[3] += d.complaints();
            }
        }

        @Override
        public synchronized List<HourlyCounts> read(long fromEpochHour, long toEpochHour) throws IOException {
            if (failing) {
                throw new IOException("database down");
            }
            List<HourlyCounts> out = new ArrayList<>();
            rows.subMap(fromEpochHour, true, toEpochHour, true)
                    .forEach((h, r) -> out.add(new HourlyCounts(h, r[0], r[1], r[2], r[3])));
            return out;
        }

        synchronized long sent() {
            return rows.values().stream().mapToLong(r -> r[0]).sum();
        }
    }

    static BounceReport report(BounceKind kind, String recipient) {
        return new BounceReport(kind, recipient, kind == BounceKind.HARD ? "5.1.1" : "", "user unknown", "<m@example.com>",
                "mx.example.org");
    }

    BounceTracker node(MemoryStore store, String name, Duration flushPeriod) {
        return new BounceTracker(FileSuppressionList.open(dir.resolve(name)), store, flushPeriod, BounceLimits.DEFAULT,
                new DeliveryLog(10), true, Clock.fixed(T0, ZoneOffset.UTC));
    }

    @Test
    void eachMailOnlyAddsInMemoryAndAFlushWritesOneDeltaPerHour() throws IOException {
        MemoryStore store = new MemoryStore();
        StoredBounceCounts counts = new StoredBounceCounts(store, LONG, nanos::get);
        for (int i = 0; i < 1000; i++) {
            counts.sent(1, T0);
        }
        counts.sent(5, T0.plus(Duration.ofHours(1)));
        counts.reported(BounceKind.COMPLAINT, T0);
        counts.reported(BounceKind.UNKNOWN, T0);

        assertThat(store.writes).as("no write per mail").hasValue(0);
        assertThat(counts.window(Duration.ofHours(24), T0.plus(Duration.ofHours(1))).sentRecipients())
                .as("this node's own mail counts before any flush").isEqualTo(1005);

        counts.flush();
        long hour = StoredBounceCounts.hour(T0);
        assertThat(store.written).singleElement().satisfies(deltas -> assertThat(deltas).containsExactlyInAnyOrder(
                new BounceCountStore.HourlyCounts(hour, 1000, 0, 0, 1),
                new BounceCountStore.HourlyCounts(hour + 1, 5, 0, 0, 0)));
        assertThat(counts.pending()).isEmpty();
        counts.flush();
        assertThat(store.writes).as("nothing left: no empty write").hasValue(1);
        BounceMetrics.Window day = counts.window(Duration.ofHours(24), T0.plus(Duration.ofHours(1)));
        assertThat(day.sentRecipients()).as("flushed counts are not counted twice").isEqualTo(1005);
        assertThat(day.complaints()).isEqualTo(1);
    }

    @Test
    void theCountsReachTheStoreWithinTheFlushPeriodWithoutAnyCall() throws Exception {
        MemoryStore store = new MemoryStore();
        try (BounceHandling handling = BounceHandling.builder().suppressionList(FileSuppressionList.open(dir))
                .countStore(store).countFlushPeriod(Duration.ofMillis(200)).deliveryLog(new DeliveryLog(10)).build()) {
            handling.watch().sent(3, Instant.now());
            assertThat(store.sent()).as("not written at send").isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.sent() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(store.sent()).isEqualTo(3);
        }
    }

    @Test
    void aFailingStoreNeitherLosesCountsNorFailsASendAndIsWrittenAtTheNextFlush() throws IOException {
        MemoryStore store = new MemoryStore();
        StoredBounceCounts counts = new StoredBounceCounts(store, LONG, nanos::get);
        counts.sent(10, T0);
        store.failing = true;

        assertThatThrownBy(counts::flush).isInstanceOf(IOException.class);
        counts.sent(10, T0); // a send while the database is down only adds in memory
        counts.reported(BounceKind.HARD, T0);
        BounceMetrics.Window meanwhile = counts.window(Duration.ofHours(24), T0);
        assertThat(meanwhile.sentRecipients()).as("rates still computed, from this node's counts").isEqualTo(20);
        assertThat(store.sent()).isZero();

        store.failing = false;
        counts.flush();
        assertThat(store.rows.get(StoredBounceCounts.hour(T0))).containsExactly(20, 1, 0, 0);
        assertThat(counts.pending()).isEmpty();
    }

    @Test
    void aReportIsTakenWhileTheStoreFailsAndCountedOnceWhenItIsBack() throws IOException {
        MemoryStore store = new MemoryStore();
        BounceTracker tracker = node(store, "a", LONG);
        store.failing = true;
        // The mailbox marks the mail only when accept returns: a throw here would apply (and count) the report again.
        tracker.accept(List.of(report(BounceKind.HARD, "gone@example.org")));
        assertThat(tracker.suppressions().isSuppressed("gone@example.org")).isTrue();
        assertThat(tracker.metrics(T0).last24Hours().hardBounces()).isEqualTo(1);

        store.failing = false;
        tracker.saveCounts();
        assertThat(store.rows.get(StoredBounceCounts.hour(T0))).containsExactly(0, 1, 0, 0);
        tracker.close();
    }

    @Test
    void twoNodesShowTheSameRatesAndARestartReadsTheOldCounts() throws IOException {
        MemoryStore store = new MemoryStore();
        BounceTracker nodeA = node(store, "a", LONG);
        BounceTracker nodeB = node(store, "b", LONG);
        nodeA.sent(50, T0);
        nodeB.sent(50, T0);
        nodeA.saveCounts();
        nodeB.accept(List.of(report(BounceKind.HARD, "gone@example.org"))); // the polling node: written with the poll

        // Without sharing node B would read 1 of 50 (2 %); shared, every node reads 1 of 100.
        for (BounceTracker node : List.of(nodeA, nodeB)) {
            BounceMetrics m = node.metrics(T0);
            assertThat(m.last24Hours().sentRecipients()).isEqualTo(100);
            assertThat(m.last24Hours().hardBounces()).isEqualTo(1);
            assertThat(m.last24Hours().hardBounceRate()).isEqualTo(0.01);
            assertThat(m.last7Days().hardBounceRate()).isEqualTo(0.01);
        }
        nodeA.close();
        nodeB.close();

        BounceTracker restarted = node(store, "a", LONG);
        BounceMetrics later = restarted.metrics(T0.plus(Duration.ofDays(2)));
        assertThat(later.last24Hours().sentRecipients()).as("two days later: out of the 24 hours").isZero();
        assertThat(later.last7Days().sentRecipients()).isEqualTo(100);
        assertThat(later.last7Days().hardBounces()).isEqualTo(1);
        restarted.close();
    }

    @Test
    void anotherNodesCountsAreReadAgainOnceTheCachePeriodPassed() throws IOException {
        MemoryStore store = new MemoryStore();
        StoredBounceCounts nodeA = new StoredBounceCounts(store, LONG, nanos::get);
        StoredBounceCounts nodeB = new StoredBounceCounts(store, LONG, nanos::get);
        assertThat(nodeB.window(Duration.ofHours(24), T0).sentRecipients()).isZero(); // node B reads the sums now

        nodeA.sent(7, T0);
        nodeA.flush();
        nanos.addAndGet(nodeB.cachePeriod().toNanos() - 1);
        assertThat(nodeB.window(Duration.ofHours(24), T0).sentRecipients()).as("within the cache period").isZero();
        nanos.addAndGet(1);
        assertThat(nodeB.window(Duration.ofHours(24), T0).sentRecipients()).isEqualTo(7);
        assertThat(nodeB.cachePeriod()).isEqualTo(StoredBounceCounts.MAX_CACHE);
    }

    @Test
    void countsAddedAfterTheLastPeriodicFlushReachTheStoreAtClose() throws Exception {
        MemoryStore store = new MemoryStore();
        StoredBounceCounts counts = new StoredBounceCounts(store, Duration.ofSeconds(1), nanos::get);
        counts.start();
        counts.sent(4, T0);
        Poll.until("the periodic flush wrote the first counts", Duration.ofSeconds(10), () -> store.writes.get() == 1);

        // The next periodic flush is a second away: only close can write these (a graceful shutdown).
        counts.sent(2, T0);
        counts.reported(BounceKind.HARD, T0);
        counts.reported(BounceKind.SOFT, T0);
        counts.reported(BounceKind.COMPLAINT, T0);
        counts.close();

        long hour = StoredBounceCounts.hour(T0);
        assertThat(store.written).containsExactly(List.of(new BounceCountStore.HourlyCounts(hour, 4, 0, 0, 0)),
                List.of(new BounceCountStore.HourlyCounts(hour, 2, 1, 1, 1)));
        assertThat(counts.pending()).isEmpty();
    }

    @Test
    void aCountArrivingAfterCloseIsWrittenAtOnce() {
        MemoryStore store = new MemoryStore();
        StoredBounceCounts counts = new StoredBounceCounts(store, LONG, nanos::get);
        counts.sent(2, T0);
        counts.close();
        assertThat(store.sent()).as("close flushes").isEqualTo(2);
        counts.sent(1, T0); // a send finishing while the old queue drains after a settings change
        assertThat(store.sent()).isEqualTo(3);
    }

    @Test
    void aSuppressionDirectoryDoesNotTakeACountStore() {
        BounceHandling.Builder both = BounceHandling.builder().suppressionDirectory(dir).countStore(new MemoryStore())
                .deliveryLog(new DeliveryLog(10));
        assertThatThrownBy(both::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("countStore");
    }
}
