package io.github.outboundrelay.common;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes concurrent writes durable together: one batch file, one fsync, one rename and one directory fsync for every
 * entry that arrived while the previous batch was being written, instead of one of each per mail. On the 2-core
 * machine in {@code docs/performance.md} a file per mail costs about 250 us of CPU; a group of 16 costs each mail a
 * sixteenth of that.
 *
 * <p>Protocol: a caller adds its entry to the pending list; if no batch is being written it becomes the leader,
 * takes everything pending (up to {@value #MAX_ENTRIES} entries or {@value #MAX_BYTES} bytes), has the
 * {@link BatchWriter} write and sync it, and hands each caller in the group its entry's location. Callers that arrive
 * meanwhile wait and form the next group; a lone caller is a group of one and waits for nobody. A caller returns
 * only when its entry is durable, or throws the write's exception. Waiting ignores interrupts: a caller must not
 * return before its mail is on disk.
 */
final class GroupCommit {
    static final int MAX_ENTRIES = 1024;
    static final int MAX_BYTES = 8 << 20;

    /** Writes entries as one durable file and fills in where each starts. @return the batch's name */
    @FunctionalInterface
    interface BatchWriter {
        String write(List<byte[]> entries, long[] offsets) throws IOException;
    }

    /** Where a committed entry is: its batch, where in it, and how many entries the batch holds in all. */
    record Location(String batch, long offset, int length, int batchSize) {
    }

    private static final class Pending {
        final byte[] entry;
        Location location;
        IOException failure;
        boolean done;

        Pending(byte[] entry) {
            this.entry = entry;
        }
    }

    private final BatchWriter writer;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>(); // guarded by this
    private boolean writing;                                        // guarded by this
    private long batches;                                           // guarded by this
    private long entries;                                           // guarded by this

    GroupCommit(BatchWriter writer) {
        this.writer = writer;
    }

    /** Returns once {@code entry} is durable, with its location. */
    Location commit(byte[] entry) throws IOException {
        Pending me = new Pending(entry);
        boolean interrupted = false;
        try {
            synchronized (this) {
                pending.add(me);
            }
            while (true) {
                List<Pending> group;
                synchronized (this) {
                    while (!me.done && writing) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (me.done) {
                        break;
                    }
                    writing = true;
                    group = takeGroup();
                }
                write(group);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (me.failure != null) {
            throw me.failure;
        }
        return me.location;
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

    private void write(List<Pending> group) {
        List<byte[]> bytes = new ArrayList<>(group.size());
        group.forEach(p -> bytes.add(p.entry));
        long[] offsets = new long[group.size()];
        IOException failure = null;
        String batch = null;
        try {
            batch = writer.write(bytes, offsets);
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException(e.toString(), e);
        }
        synchronized (this) {
            for (int i = 0; i < group.size(); i++) {
                Pending p = group.get(i);
                if (failure == null) {
                    p.location = new Location(batch, offsets[i], p.entry.length, group.size());
                } else {
                    p.failure = failure;
                }
                p.done = true;
            }
            batches++;
            entries += group.size();
            writing = false;
            notifyAll();
        }
    }

    /** {batches written, entries written}: for tests and the benchmark. */
    synchronized long[] counts() {
        return new long[] {batches, entries};
    }
}
