package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.queue.GroupCommit;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the file spool keeps in memory, and no I/O: each queued mail's id, due time, attempts, size and where its
 * current copy is (about 280 bytes a mail), the mails due in order, how many live entries each batch file still
 * holds, and the limits. Every method holds this index's lock briefly; the spool does its file work after it.
 */
final class SpoolIndex {
    /**
     * A batch file and how many of its entries are still the current copy of a queued mail. A segment's count grows
     * by each group appended to it, before the group's callers learn where their entries are ({@link #created},
     * {@link #grow}), so it cannot reach zero while an entry of it is still to be registered.
     */
    static final class Batch {
        final String name;
        int live; // guarded by the index
        boolean retired; // guarded by this batch: see BatchFiles.retire

        Batch(String name, int live) {
            this.name = name;
            this.live = live;
        }
    }

    /** One queued mail. Fields other than id and firstMillis change only under the index's lock. */
    static final class Item {
        final String id;
        final long firstMillis;
        long dueMillis;
        int attempts;
        int size;
        boolean claimed;
        Batch batch;
        long offset;

        Item(String id, long firstMillis, long dueMillis, int attempts, int size, Batch batch, long offset) {
            this.id = id;
            this.firstMillis = firstMillis;
            this.dueMillis = dueMillis;
            this.attempts = attempts;
            this.size = size;
            this.batch = batch;
            this.offset = offset;
        }
    }

    /** Where a mail's current copy was when asked: {@code size} bytes at {@code offset} of batch file {@code batch}. */
    record Copy(Item item, String batch, long offset, int size) {
        String id() {
            return item.id;
        }
    }

    /** An entry the index let go of: mark it done in its batch, or retire the batch when it was the last live one. */
    record Retirement(Batch batch, boolean empty, long offset) {
    }

    private final Path root; // names the spool in its refusals
    private final long maxMessages;
    private final long maxBytes;
    private final Map<String, Item> items = new HashMap<>();
    private final Map<String, Batch> batches = new HashMap<>();
    private final TreeSet<Item> ready = new TreeSet<>(Comparator.<Item>comparingLong(i -> i.dueMillis).thenComparing(i -> i.id));
    private long reservedMessages;
    private long reservedBytes;

    SpoolIndex(Path root, long maxMessages, long maxBytes) {
        this.root = root;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
    }

    /** Counts a mail of {@code bytes} against the limits before it is written, or refuses it. */
    synchronized void reserve(int bytes) {
        if (reservedMessages + 1 > maxMessages) {
            throw new SpoolException(root, "is full: it holds " + reservedMessages + " mails, its limit",
                    "The mail was not queued. Mail is not leaving: check the queue metrics and the relay's health; "
                            + "or raise the limit (spoolMaxMessages)", null);
        }
        if (reservedBytes + bytes > maxBytes) {
            throw new SpoolException(root, "is full: " + reservedBytes + " of its " + maxBytes + " bytes are used",
                    "The mail was not queued. Mail is not leaving: check the queue metrics and the relay's health; "
                            + "or raise the limit (spoolMaxBytes)", null);
        }
        reservedMessages++;
        reservedBytes += bytes;
    }

    /** Gives back a reservation whose mail was not written. */
    synchronized void unreserve(int bytes) {
        reservedMessages--;
        reservedBytes -= bytes;
    }

    /** A new segment holding a group of {@code entries}, all live. */
    synchronized void created(String batch, int entries) {
        batches.put(batch, new Batch(batch, entries));
    }

    /**
     * Counts a group of {@code entries} about to be appended to {@code batch}, so the batch is not retired while it
     * is written. @return false when the batch was retired already (its last mail went): start a new one
     */
    synchronized boolean grow(String batch, int entries) {
        Batch b = batches.get(batch);
        if (b == null) {
            return false;
        }
        b.live += entries;
        return true;
    }

    /** Takes back a {@link #grow} whose group could not be written. @return the batch to retire, or null */
    synchronized Retirement shrink(String batch, int entries) {
        Batch b = batches.get(batch);
        b.live -= entries;
        if (b.live > 0) {
            return null;
        }
        batches.remove(batch);
        return new Retirement(b, true, -1);
    }

    /** Adds a mail whose reservation was made and whose copy is at {@code location}. */
    synchronized void add(String id, long firstMillis, long dueMillis, int size, GroupCommit.Location location) {
        Item item = new Item(id, firstMillis, dueMillis, 0, size, batchOf(location), location.offset());
        items.put(id, item);
        ready.add(item);
    }

    /** Loads what recovery found (no reservation made yet): the live count of each batch, then its mails. */
    synchronized void load(Map<String, Integer> liveCounts, List<SpoolRecovery.Found> mails) {
        liveCounts.forEach((name, live) -> batches.put(name, new Batch(name, live)));
        for (SpoolRecovery.Found f : mails) {
            SpoolEntryCodec.Meta m = f.meta();
            Item item = new Item(m.id(), m.firstSubmittedMillis(), m.dueMillis(), m.attempts(), f.length(),
                    batches.get(f.batch()), f.offset());
            items.put(item.id, item);
            ready.add(item);
            reservedMessages++;
            reservedBytes += item.size;
        }
    }

    /** Takes up to {@code max} mails due at {@code millis}, soonest first, and marks them claimed. */
    synchronized List<Copy> claimDue(long millis, int max) {
        List<Copy> picked = new ArrayList<>(Math.min(max, 64));
        while (picked.size() < max && !ready.isEmpty() && ready.first().dueMillis <= millis) {
            Item item = ready.pollFirst();
            item.claimed = true;
            picked.add(copyOf(item));
        }
        return picked;
    }

    /** Puts a claimed mail back, due at {@code dueMillis}, without a new copy: its entry could not be read now. */
    synchronized void retryLater(Copy copy, long dueMillis) {
        Item item = copy.item();
        item.claimed = false;
        item.dueMillis = dueMillis;
        ready.add(item);
    }

    /** Where the mail's current copy is, or null when it is not queued. */
    synchronized Copy copyOf(String id) {
        Item item = items.get(id);
        return item == null ? null : copyOf(item);
    }

    /**
     * Records a retry: due at {@code dueMillis} after {@code attempts}, with its new copy at {@code location} (null when
     * it could not be written: the old copy stays). Nothing happens when the mail is no longer the one read.
     *
     * @return the old copy to retire, or null
     */
    synchronized Retirement deferred(Copy read, GroupCommit.Location location, int newSize, long dueMillis, int attempts) {
        Item item = read.item();
        if (items.get(item.id) != item) {
            return null;
        }
        ready.remove(item);
        Retirement old = null;
        if (location != null) {
            old = letGo(item);
            item.batch = batchOf(location);
            item.offset = location.offset();
            reservedBytes += newSize - item.size;
            item.size = newSize;
        }
        item.dueMillis = dueMillis;
        item.attempts = attempts;
        item.claimed = false;
        ready.add(item);
        return old;
    }

    /** Forgets a mail (delivered, dead-lettered, quarantined). @return its copy to retire, or null if it was not queued */
    synchronized Retirement remove(String id) {
        Item item = items.remove(id);
        if (item == null) {
            return null;
        }
        ready.remove(item);
        reservedMessages--;
        reservedBytes -= item.size;
        return letGo(item);
    }

    synchronized Optional<Instant> nextDue() {
        return ready.isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ready.first().dueMillis));
    }

    synchronized Spool.Depth depth(long deadLetters) {
        long oldest = Long.MAX_VALUE;
        for (Item item : items.values()) {
            oldest = Math.min(oldest, item.firstMillis);
        }
        return new Spool.Depth(items.size(), items.isEmpty() ? null : Instant.ofEpochMilli(oldest), deadLetters);
    }

    private Retirement letGo(Item item) {
        Batch batch = item.batch;
        batch.live--;
        boolean empty = batch.live == 0;
        if (empty) {
            batches.remove(batch.name);
        }
        return new Retirement(batch, empty, item.offset);
    }

    private Batch batchOf(GroupCommit.Location location) {
        // Counted when its group was written (created, grow): it cannot be retired before all its callers registered.
        Batch batch = batches.get(location.batch());
        if (batch == null) {
            throw new IllegalStateException("batch " + location.batch() + " was written but not counted");
        }
        return batch;
    }

    private static Copy copyOf(Item item) {
        return new Copy(item, item.batch.name, item.offset, item.size);
    }
}
