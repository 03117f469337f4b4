package io.github.outboundrelay.common;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where suppressed addresses are kept: the storage SPI, like {@code Spool}. relay-common ships
 * {@link FileSuppressionList} (right for Jenkins, under JENKINS_HOME); Keycloak keeps its per-realm list in its own
 * database so that every node of a cluster sees the same list. The policy (what suppresses, the soft-bounce
 * threshold) lives in {@link BounceTracker}, not here.
 *
 * <p>Implementations are thread-safe; {@link #get} is called on every send and must be fast (a memory lookup).
 * {@link #put} and {@link #remove} return once the change is durable.
 */
public interface SuppressionList {
    /** The entry for an address (any case), suppressed or still counting soft bounces. */
    Optional<Suppression> get(String address);

    /** Adds or replaces the entry of {@code entry.address()}, durably. */
    void put(Suppression entry) throws IOException;

    /** Removes an address, durably; false when it was not on the list. */
    boolean remove(String address) throws IOException;

    /** Up to {@code limit} entries whose address contains {@code text} (any case; empty for all), by address. */
    List<Suppression> search(String text, int limit);

    /** How many addresses are suppressed now. */
    long suppressedCount();

    /** Whether mail to {@code address} is stopped. */
    default boolean isSuppressed(String address) {
        return get(address).map(Suppression::suppressed).orElse(false);
    }
}
