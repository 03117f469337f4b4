package io.github.outboundrelay.common;

import java.io.IOException;
import java.util.List;

/**
 * Where the hourly counts behind the bounce and complaint rates are kept when they are shared: the storage SPI beside
 * {@link SuppressionList}. Without one ({@link BounceHandling.Builder#countStore} not called), the counts live in
 * memory and, with a suppression directory, in a file beside the list (Jenkins, the CLI). Keycloak keeps them in its
 * database, so that every node of a cluster computes the same rates from the same sums (docs/bounces.md, "Sharing
 * the counts").
 *
 * <p>relay-common never calls the store per mail: each node adds up its own counts in memory and hands them over as
 * deltas every flush period (and at close), and reads the sums back at most once per cache period. Hours are whole
 * hours since the epoch ({@code epochMillis / 3_600_000}). Implementations are thread-safe; two nodes may add to the
 * same hour at the same moment, and both additions must count.
 */
public interface BounceCountStore {
    /** One hour's counts: this node's deltas in {@link #add}, every node's sums in {@link #read}. */
    record HourlyCounts(long epochHour, long sent, long hardBounces, long softBounces, long complaints) {
        /** Whether there is nothing to add. */
        public boolean isEmpty() {
            return sent == 0 && hardBounces == 0 && softBounces == 0 && complaints == 0;
        }
    }

    /**
     * Adds each entry's counts to its hour's sums, durably, all or nothing: when this throws, none of them counted
     * and the caller adds them again later.
     */
    void add(List<HourlyCounts> deltas) throws IOException;

    /** The sums of the hours from {@code fromEpochHour} to {@code toEpochHour} (both included) that have any; any order. */
    List<HourlyCounts> read(long fromEpochHour, long toEpochHour) throws IOException;
}
