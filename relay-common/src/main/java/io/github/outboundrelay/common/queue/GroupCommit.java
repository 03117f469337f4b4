package io.github.outboundrelay.common.queue;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Makes concurrent writes durable together: one write and one fsync for every entry that arrived while the previous
 * group was being written, instead of one of each per mail. On the 2-core machine in {@code docs/performance.md} a
 * file per mail costs about 250 us of CPU; a group of 16 costs each mail a sixteenth of that. (The file spool's
 * writer appends most groups to an open segment, so most groups create no file either: see its BatchFiles.)
 *
 * <p>Protocol: a caller adds its entry to the pending list; if no batch is being written it becomes the leader,
 * takes everything pending (up to {@value #MAX_ENTRIES} entries or {@value #MAX_BYTES} bytes), has the
 * {@link BatchWriter} write and sync it, hands each caller in the group its entry's location and wakes exactly those
 * callers, then passes leadership to the oldest caller still pending, who writes the next group. A lone caller is a
 * group of one and waits for nobody. A caller returns only when its entry is durable, or throws the write's
 * exception. Waiting ignores interrupts (and restores them on return): a caller must not return before its mail is
 * on disk.
 */
public final class GroupCommit {
    static final int MAX_ENTRIES = 1024;
    static final int MAX_BYTES = 8 << 20;

    /** Writes entries as one durable file and fills in where each starts. @return the batch's name */
    @FunctionalInterface
    public interface BatchWriter {
        String write(List<byte[]> entries, long[] offsets) throws IOException;
    }

    /** Where a committed entry is: its batch, where in it, and how many entries the batch holds in all. */
    public record Location(String batch, long offset, int length, int batchSize) {
    }

    private static final class Pending {
        final byte[] entry;
        final Thread thread = Thread.currentThread();
        Location location;         // written by the leader before done
        IOException failure;       // written by the leader before done
        volatile boolean done;
        volatile boolean leader;

        Pending(byte[] entry) {
            this.entry = entry;
        }
    }

    private final BatchWriter writer;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>(); // guarded by this
    private boolean writing;                                        // guarded by this
    private long batches;                                           // guarded by this
    private long entries;                                           // guarded by this

    public GroupCommit(BatchWriter writer) {
        this.writer = writer;
    }

    /** Returns once {@code entry} is durable, with its location. */
    public Location commit(byte[] entry) throws IOException {
        Pending me = new Pending(entry);
        synchronized (this) {
            pending.add(me);
            if (!writing) {
                writing = true; // Invariant: while nobody writes, nobody is pending.
                me.leader = true;
            }
        }
        boolean interrupted = false;
        while (!me.done && !me.leader) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (!me.done) {
            lead();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (me.failure != null) {
            throw me.failure;
        }
        return me.location;
    }

    /** Writes one group, which includes the leader (the oldest pending caller), and hands leadership on. */
    private void lead() {
        List<Pending> group;
        synchronized (this) {
            group = takeGroup();
        }
        List<byte[]> bytes = new ArrayList<>(group.size());
        group.forEach(p -> bytes.add(p.entry));
        long[] offsets = new long[group.size()];
        IOException failure = null;
        String batch = null;
        try {
            batch = writer.write(bytes, offsets);
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException | Error e) {
            failure = new IOException(e.toString(), e); // Even then leadership must pass on, or every caller hangs.
        }
        for (int i = 0; i < group.size(); i++) {
            Pending p = group.get(i);
            if (failure == null) {
                p.location = new Location(batch, offsets[i], p.entry.length, group.size());
            } else {
                p.failure = failure;
            }
            p.done = true;
        }
        Pending next;
        synchronized (this) {
            batches++;
            entries += group.size();
            next = pending.peek();
            if (next == null) {
                writing = false;
            } else {
                next.leader = true;
            }
        }
        for (Pending p : group) {
            LockSupport.unpark(p.thread);
        }
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
    }

    private List<Pending> takeGroup() {
        List<Pending> group = new ArrayList<>();
        long bytes = 0;
        while (!pending.isEmpty() && group.size() < MAX_ENTRIES
                && (group.isEmpty() || bytes + pending.peek().entry.length <= MAX_BYTES)) {
            Pending p = pending.poll();
            bytes += p.entry.length;
            group.add(p);
        }
        return group;
    }

    /** {batches written, entries written}: for tests and the benchmark. */
    public synchronized long[] counts() {
        return new long[] {batches, entries};
    }
}
