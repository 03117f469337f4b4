package io.github.outboundrelay.common.spool;

import java.util.HashMap;
import java.util.Map;

/**
 * The handoff: entries a {@link FileSpool} stored and has not claimed yet, as they were given to it (message and
 * rendered bytes), so that a claim takes its entry from here instead of reading it back, unsealing and decoding it.
 * It changes nothing on disk and holds nothing the disk does not hold too.
 *
 * <p>Bounded, because a relay that is down lets mail pile up: at most {@code maxEntries} entries and {@code maxBytes}
 * bytes ({@link #weightOf}). A full handoff keeps no more until claims make room; a mail it did not keep is read from
 * disk when claimed, as before. Why the newcomer, not the oldest: the queue claims mail in the order it was stored,
 * so the entries held are the next to be claimed, and the newcomer the last; dropping the oldest instead would drop
 * exactly the mail claimed next whenever the backlog is longer than the handoff (measured in docs/performance.md:
 * about 3 in 10 claims served from memory against 7 in 10). See docs/architecture.md, "The handoff of just-stored
 * mail".
 *
 * <p>Thread-safe: every method holds this object's lock for a map operation and nothing else.
 */
final class RecentEntries {
    static final int DEFAULT_MAX_ENTRIES = 256;
    static final long DEFAULT_MAX_BYTES = 1 << 20;

    private final int maxEntries;
    private final long maxBytes;
    private final Map<String, Spool.Entry> entries = new HashMap<>(); // guarded by this
    private long bytes;   // guarded by this: the weight of what entries holds
    private long taken;   // guarded by this: claims served from here
    private long missed;  // guarded by this: claims that had to read the disk

    RecentEntries(int maxEntries, long maxBytes) {
        if (maxEntries < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("bounds must not be negative: " + maxEntries + " entries, " + maxBytes + " bytes");
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /**
     * What an entry costs here: its rendered bytes and its message's subject, text, HTML and headers (the message
     * holds its bodies apart from the rendering). Addresses and the objects themselves add a few hundred bytes an
     * entry, which the count bound caps.
     */
    static long weightOf(Spool.Entry entry) {
        return (entry.rendered() == null ? 0 : entry.rendered().length) + entry.message().contentBytes();
    }

    /**
     * Keeps a just-stored entry until it is claimed or removed, unless that would pass a bound.
     *
     * @return whether it was kept
     */
    synchronized boolean put(Spool.Entry entry) {
        long weight = weightOf(entry);
        Spool.Entry held = entries.get(entry.id());
        long heldWeight = held == null ? 0 : weightOf(held);
        if (entries.size() - (held == null ? 0 : 1) >= maxEntries || bytes - heldWeight + weight > maxBytes) {
            return false;
        }
        entries.put(entry.id(), entry);
        bytes += weight - heldWeight;
        return true;
    }

    /** The entry with this id for its claim, no longer held; null when it is not held (read it from disk). */
    synchronized Spool.Entry take(String id) {
        Spool.Entry entry = entries.remove(id);
        if (entry == null) {
            missed++;
            return null;
        }
        bytes -= weightOf(entry);
        taken++;
        return entry;
    }

    /** Forgets the entry with this id, if held: it was completed, deferred or dead-lettered without a claim here. */
    synchronized void remove(String id) {
        Spool.Entry entry = entries.remove(id);
        if (entry != null) {
            bytes -= weightOf(entry);
        }
    }

    synchronized void clear() {
        entries.clear();
        bytes = 0;
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long bytes() {
        return bytes;
    }

    /** @return {claims served from here, claims that read the disk} */
    synchronized long[] counts() {
        return new long[] {taken, missed};
    }

    @Override
    public synchronized String toString() {
        return "RecentEntries[" + entries.size() + " of " + maxEntries + " entries, " + bytes + " of " + maxBytes
                + " bytes; " + taken + " claims served, " + missed + " read from disk]";
    }
}
