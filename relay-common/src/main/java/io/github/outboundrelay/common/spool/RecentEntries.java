package io.github.outboundrelay.common.spool;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The entries a {@link FileSpool} stored recently and has not claimed yet, as they were given to it (message and
 * rendered bytes): the handoff. A claim soon after a store takes its entry from here instead of reading it back,
 * unsealing and decoding it; it changes nothing on disk. Held in memory only, so bounded: at most
 * {@code maxEntries} entries and {@code maxBytes} bytes of rendered mail and message content
 * ({@link #weightOf}); when either bound is passed the oldest entries are dropped first, and a claim of a dropped
 * entry reads it from disk as before. See docs/architecture.md, "The handoff of just-stored mail".
 *
 * <p>Thread-safe: every method holds this object's lock for a map operation and nothing else.
 */
final class RecentEntries {
    static final int DEFAULT_MAX_ENTRIES = 256;
    static final long DEFAULT_MAX_BYTES = 1 << 20;

    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<String, Spool.Entry> entries = new LinkedHashMap<>(); // in store order; guarded by this
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
     * What an entry costs here: its rendered bytes and its message's text, HTML, subject and headers (the message
     * holds its bodies apart from the rendering). Recipients and the objects themselves add a few hundred bytes,
     * which the count bound caps.
     */
    static long weightOf(Spool.Entry entry) {
        return (entry.rendered() == null ? 0 : entry.rendered().length) + entry.message().contentBytes();
    }

    /**
     * Keeps a just-stored entry until it is claimed or removed, dropping the oldest ones beyond the bounds. An entry
     * heavier than {@code maxBytes} alone is not kept.
     */
    synchronized void put(Spool.Entry entry) {
        long weight = weightOf(entry);
        if (weight > maxBytes || maxEntries == 0) {
            return;
        }
        Spool.Entry replaced = entries.put(entry.id(), entry);
        if (replaced != null) {
            bytes -= weightOf(replaced);
        }
        bytes += weight;
        Iterator<Spool.Entry> oldest = entries.values().iterator();
        while (entries.size() > maxEntries || bytes > maxBytes) {
            bytes -= weightOf(oldest.next());
            oldest.remove();
        }
    }

    /** The entry with this id for its claim, removed from here; null when it is not here (read it from disk). */
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

    /** Forgets the entry with this id, if held: it was completed, deferred or dead-lettered. */
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
        return "RecentEntries[" + entries.size() + " entries, " + bytes + " bytes, " + taken + " taken, " + missed
                + " read from disk]";
    }

    /** For tests: the ids held, oldest first. */
    synchronized List<String> ids() {
        return List.copyOf(entries.keySet());
    }
}
