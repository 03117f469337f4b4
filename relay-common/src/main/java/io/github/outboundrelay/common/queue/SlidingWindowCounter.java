package io.github.outboundrelay.common.queue;

/**
 * Counts events over the last {@code buckets} x {@code bucketMillis} (an hour in one-minute buckets), for the
 * bounce rate. Thread-safe; time is an argument.
 */
public final class SlidingWindowCounter {
    private final long bucketMillis;
    private final long[] counts;
    private final long[] bucketIndex;

    SlidingWindowCounter(int buckets, long bucketMillis) {
        this.bucketMillis = bucketMillis;
        this.counts = new long[buckets];
        this.bucketIndex = new long[buckets];
        java.util.Arrays.fill(bucketIndex, Long.MIN_VALUE);
    }

    synchronized void add(long nowMillis) {
        long index = Math.floorDiv(nowMillis, bucketMillis);
        int slot = (int) Math.floorMod(index, counts.length);
        if (bucketIndex[slot] != index) {
            bucketIndex[slot] = index;
            counts[slot] = 0;
        }
        counts[slot]++;
    }

    synchronized long sum(long nowMillis) {
        long newest = Math.floorDiv(nowMillis, bucketMillis);
        long oldest = newest - counts.length + 1;
        long sum = 0;
        for (int i = 0; i < counts.length; i++) {
            if (bucketIndex[i] >= oldest && bucketIndex[i] <= newest) {
                sum += counts[i];
            }
        }
        return sum;
    }
}
