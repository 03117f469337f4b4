package io.github.outboundrelay.common;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes renames into one directory durable with as few directory fsyncs as possible: every caller waits until an
 * fsync that started after its rename has finished, and one fsync serves everyone who renamed before it began.
 * Under load, N concurrent submits cost one directory fsync instead of N (the file fsyncs before the renames batch
 * in the file system's journal on their own).
 *
 * <p>Protocol: a caller renames its file, then takes a ticket. If no fsync is running it becomes the leader: it
 * notes the highest ticket issued (all of those renames are complete), fsyncs the directory, and marks those
 * tickets durable. Otherwise it waits for the running fsync and, if that one started before its ticket, for the
 * next. Waiting ignores interrupts: a caller must not return before its mail is durable.
 */
final class GroupCommit {
    private final Path directory;
    private final boolean supported;
    private long issued;       // guarded by this
    private long durable;      // guarded by this: every ticket <= durable is on disk
    private boolean syncing;   // guarded by this
    private long syncs;        // guarded by this

    GroupCommit(Path directory) {
        this.directory = directory;
        this.supported = canSync(directory);
    }

    /** Returns once every rename into the directory made before this call is durable. */
    void awaitDurable() throws IOException {
        long ticket;
        long target;
        boolean interrupted = false;
        synchronized (this) {
            ticket = ++issued;
            while (durable < ticket && syncing) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (durable >= ticket) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            syncing = true;
            target = issued;
        }
        IOException failure = null;
        try {
            force();
        } catch (IOException e) {
            failure = e;
        } finally {
            synchronized (this) {
                syncing = false;
                syncs++;
                if (failure == null) {
                    durable = Math.max(durable, target);
                }
                notifyAll();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            // Waiters whose ticket this fsync covered find durable < ticket and one of them tries again.
            throw failure;
        }
    }

    /** Directory fsyncs done so far, and callers served: for tests and the benchmark. */
    synchronized long[] counts() {
        return new long[] {syncs, issued};
    }

    private void force() throws IOException {
        if (!supported) {
            return;
        }
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Linux and macOS fsync a directory opened for reading; Windows cannot open one and orders renames itself. */
    private static boolean canSync(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
