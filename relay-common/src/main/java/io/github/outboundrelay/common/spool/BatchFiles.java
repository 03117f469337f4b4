package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch files in {@code queue/}: written by the group commit, read one entry at a time, marked entry by entry,
 * retired when their last live entry goes. The format itself is {@link SpoolEntryCodec}'s.
 *
 * <p>A batch file is a segment that grows: its first group commit is written the careful way (a file under
 * {@code tmp/}, fsync, atomic rename into {@code queue/}, fsync of {@code queue/}), and later groups are appended
 * to it as chunks (one write and one fdatasync each) until it holds {@value #SEGMENT_BYTES} bytes or one of its
 * mails is sent ({@link #noMoreAppends}). So most group commits cost no file creation, rename or directory fsync;
 * on ext4 without a journal the creation alone (its {@code recently_deleted} scan of the inode tables) was about
 * 40 % of a durable submit's CPU (docs/performance.md). An append that fails is cut off again and the segment is
 * closed to appends; one cut short by a crash is a torn tail that recovery skips: its fsync never returned, so none
 * of its mails was acknowledged.
 *
 * <p>A retired batch is deleted, or, while fewer than {@value #MAX_SPARES} are kept and it is at most 1.25 MiB, zeroed
 * and moved to {@code tmp/} as a spare that the next batch overwrites: on ext4, creating a file after many deletions
 * costs more CPU than its fsync (see docs/performance.md). Zeroed, because its mails were delivered and their links
 * must not outlive the batch; zeroing keeps the file's blocks, so the next batch still overwrites in place. A spare is
 * never read: it is overwritten whole and cut to size, and recovery deletes the spares of the last run.
 */
final class BatchFiles implements AutoCloseable {
    static final String SUFFIX = ".batch";
    static final int MAX_SPARES = 16;
    /** A segment takes no more appends once it is this long: one file creation per several hundred mails. */
    static final int SEGMENT_BYTES = 1 << 20;
    /** Larger finished batches are deleted, not kept: spares cost at most 16 x 1.25 MiB of disk. */
    static final int MAX_SPARE_BYTES = SEGMENT_BYTES + (256 << 10);
    private static final byte[] ZEROS = new byte[64 << 10];
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    private final Path root; // names the spool in warnings
    private final Path queueDir;
    private final Path tmpDir;
    private final DurableFiles files;
    private final SpoolIds ids;
    private final OpenFileCache open = new OpenFileCache(8);
    private final ArrayDeque<Path> spares = new ArrayDeque<>(); // guarded by itself
    /** The segment appends go to, or null; swapped under its own lock, written only by the group-commit leader. */
    private Segment appending; // guarded by segmentLock
    private final Object segmentLock = new Object();

    /** The open end of a segment: the bytes it holds that were forced to disk, and its channel once appended to. */
    private static final class Segment {
        final String name;
        long size;            // written by the group-commit leader only
        FileChannel channel;  // guarded by segmentLock; opened by the first append (a lone store never needs it)
        boolean claimedFrom;  // guarded by segmentLock: see noMoreAppends

        Segment(String name, long size) {
            this.name = name;
            this.size = size;
        }

        void close() {
            if (channel != null) {
                DurableFiles.closeQuietly(channel);
            }
        }
    }

    BatchFiles(Path root, Path queueDir, Path tmpDir, DurableFiles files, SpoolIds ids) {
        this.root = root;
        this.queueDir = queueDir;
        this.tmpDir = tmpDir;
        this.files = files;
        this.ids = ids;
    }

    Path path(String batch) {
        return queueDir.resolve(batch + SUFFIX);
    }

    /** The names of the batch files in {@code queue/}. */
    List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        for (Path p : DurableFiles.list(queueDir, "*" + SUFFIX)) {
            names.add(DurableFiles.nameOf(p, SUFFIX));
        }
        return names;
    }

    /** The segment the next group may be appended to, or null when the next group starts one. */
    String appendable() {
        synchronized (segmentLock) {
            return appending == null || appending.claimedFrom ? null : appending.name;
        }
    }

    /**
     * A mail of batch {@code name} is about to be sent: the batch takes no more appends, so that, as with a file per
     * group, every mail in a batch was stored before any of them was sent, and a batch is retired at the latest once
     * each of its mails had one attempt (a retry is written elsewhere). Delivered mail does not wait on disk behind
     * mail stored after it. The leader closes the channel when it starts the next segment: an append may be under way.
     */
    void noMoreAppends(String name) {
        synchronized (segmentLock) {
            if (appending != null && appending.name.equals(name)) {
                appending.claimedFrom = true;
            }
        }
    }

    /**
     * Appends a group to segment {@code name} and forces it to disk; the caller made sure that the segment cannot be
     * retired meanwhile (its entries count as live in the index). Only the group-commit leader calls this.
     *
     * @throws IOException when it could not be appended: the segment is cut back and takes no more appends
     */
    void append(String name, List<byte[]> entries, long[] offsets) throws IOException {
        Segment segment;
        synchronized (segmentLock) {
            segment = appending;
        }
        if (segment == null || !segment.name.equals(name)) {
            throw new IOException("segment " + name + " takes no more appends");
        }
        byte[] chunk = SpoolEntryCodec.encodeChunk(entries, segment.size, offsets);
        try {
            FileChannel channel = channelOf(segment);
            ByteBuffer buffer = ByteBuffer.wrap(chunk);
            long position = segment.size;
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            stopAppending(segment);
            // Cut off what was written: a whole chunk left behind would be recovered after a restart, and its callers
            // were told their mail was not queued. Not through the channel: an interrupt may have closed it.
            try (RandomAccessFile file = new RandomAccessFile(path(name).toFile(), "rw")) {
                file.setLength(segment.size);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again); // Nothing was written (a read-only file), or a torn tail recovery skips.
            }
            throw e;
        }
        segment.size += chunk.length;
        if (segment.size >= SEGMENT_BYTES) {
            stopAppending(segment);
        }
    }

    /**
     * The group commit's writer for a new segment: its first chunk as a file under {@code tmp/} (a spare when there
     * is one), fsync, rename into {@code queue/}, fsync {@code queue/}; later groups are appended to it.
     *
     * @return the segment's name
     */
    String write(List<byte[]> entries, long[] offsets) throws IOException {
        String name = ids.next(System.currentTimeMillis());
        byte[] file = SpoolEntryCodec.encodeChunk(entries, 0, offsets);
        synchronized (segmentLock) {
            if (appending != null) {
                appending.close(); // Claimed from: it takes no more.
                appending = null;
            }
        }
        Path tmp;
        synchronized (spares) {
            tmp = spares.poll();
        }
        if (tmp == null) {
            tmp = tmpDir.resolve(name + ".tmp");
        }
        files.writeTemp(tmp, file);
        Path target = path(name);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try {
            DurableFiles.forceDirectory(queueDir);
        } catch (IOException e) {
            DurableFiles.deleteQuietly(target); // Not acknowledged: the callers see the error and keep their mail.
            throw e;
        }
        if (file.length < SEGMENT_BYTES) {
            synchronized (segmentLock) {
                appending = new Segment(name, file.length);
            }
        }
        return name;
    }

    private FileChannel channelOf(Segment segment) throws IOException {
        synchronized (segmentLock) {
            if (segment.channel == null) {
                segment.channel = FileChannel.open(path(segment.name), StandardOpenOption.WRITE);
            }
            return segment.channel;
        }
    }

    private void stopAppending(Segment segment) {
        synchronized (segmentLock) {
            if (appending == segment) {
                appending = null;
            }
            segment.close();
        }
    }

    /** The {@code size} bytes of the entry at {@code offset} of a batch; fewer when the file ends before. */
    ByteBuffer read(String batch, long offset, int size) throws IOException {
        return open.read(path(batch), offset, size);
    }

    /** Reads a batch file's live entries and damage, never a body (see {@link SpoolEntryCodec#readBatch}). */
    void scan(String batch, SpoolEntryCodec.BatchVisitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(path(batch), StandardOpenOption.READ)) {
            SpoolEntryCodec.readBatch((position, length) -> DurableFiles.read(ch, position, length), ch.size(), visitor);
        }
    }

    /**
     * Marks the entry the index let go of done, or retires its batch when it was the last live one. The release that
     * empties a batch can get here before an earlier release of the same batch: marks and the retirement take turns
     * on the batch, and a mark that comes after the retirement has nothing left to mark.
     */
    void retire(SpoolIndex.Retirement r) {
        synchronized (r.batch()) {
            if (r.batch().retired) {
                return;
            }
            if (r.empty()) {
                r.batch().retired = true;
                delete(r.batch().name);
            } else {
                markDone(r.batch().name, r.offset());
            }
        }
    }

    /** Rewrites the state byte before the entry at {@code offset}; not fsynced (a lost mark means a resend). */
    void markDone(String batch, long offset) {
        try {
            open.write(path(batch), SpoolEntryCodec.statePosition(offset), SpoolEntryCodec.DONE);
        } catch (IOException e) {
            // The mail went out; if the mark is lost it goes out again after a restart (at-least-once).
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot mark an entry of " + batch + " done (" + e + ")");
        }
    }

    /** Removes a batch whose entries are all done: kept as a zeroed spare, or deleted. */
    void delete(String name) {
        Path file = path(name);
        Segment segment;
        synchronized (segmentLock) {
            segment = appending != null && appending.name.equals(name) ? appending : null;
        }
        if (segment != null) {
            stopAppending(segment); // Its last mail went: the next group starts a new segment.
        }
        open.evict(file);
        try {
            long size = Files.size(file);
            if (size <= MAX_SPARE_BYTES && spareCount() < MAX_SPARES) {
                // Moved first: a crash before the zeros leaves a spare, which recovery deletes, never a zeroed batch.
                Path spare = tmpDir.resolve("spare-" + name + ".tmp");
                Files.move(file, spare, StandardCopyOption.ATOMIC_MOVE);
                try {
                    DurableFiles.zero(spare, ZEROS, (int) size); // before it is offered: a writer may take it at once
                } catch (IOException e) {
                    DurableFiles.deleteQuietly(spare);
                    throw e;
                }
                synchronized (spares) {
                    if (spares.size() < MAX_SPARES) {
                        spares.add(spare);
                        return;
                    }
                }
                file = spare;
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot delete finished batch " + name + " (" + e + ")");
        }
    }

    @Override
    public void close() {
        synchronized (segmentLock) {
            if (appending != null) {
                appending.close();
                appending = null;
            }
        }
        open.close();
    }

    private int spareCount() {
        synchronized (spares) {
            return spares.size();
        }
    }
}
