package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A few open files, the least recently used closed first, so that reading an entry from a batch and marking it
 * done cost a read or a write, not an open and a close as well: under load that is a fifth of the spool's share of
 * a mail's CPU. Consecutive mails mostly come from the same batch. Thread-safe; the I/O happens under its lock.
 *
 * <p>{@link RandomAccessFile}, not a {@code FileChannel}: a channel used by an interrupted thread closes itself, and a
 * queue that shuts down interrupts its senders, possibly while one marks a mail done in a file the others share.
 */
final class OpenFileCache implements AutoCloseable {
    private final int capacity;
    private final LinkedHashMap<Path, RandomAccessFile> open = new LinkedHashMap<>(16, 0.75f, true); // guarded by this

    OpenFileCache(int capacity) {
        this.capacity = capacity;
    }

    /** Reads up to {@code length} bytes at {@code position}; the buffer's limit says how many there were. */
    synchronized ByteBuffer read(Path file, long position, int length) throws IOException {
        RandomAccessFile f = file(file);
        byte[] bytes = new byte[length];
        int read = 0;
        try {
            f.seek(position);
            while (read < length) {
                int n = f.read(bytes, read, length - read);
                if (n < 0) {
                    break;
                }
                read += n;
            }
        } catch (IOException e) {
            evict(file);
            throw e;
        }
        return ByteBuffer.wrap(bytes, 0, read).slice();
    }

    /** Writes one byte at {@code position} (the cache opens files for writing). */
    synchronized void write(Path file, long position, byte value) throws IOException {
        RandomAccessFile f = file(file);
        try {
            f.seek(position);
            f.write(value);
        } catch (IOException e) {
            evict(file);
            throw e;
        }
    }

    /** Closes the file if it is open: before it is moved or deleted. */
    synchronized void evict(Path file) {
        RandomAccessFile f = open.remove(file);
        if (f != null) {
            closeQuietly(f);
        }
    }

    @Override
    public synchronized void close() {
        open.values().forEach(OpenFileCache::closeQuietly);
        open.clear();
    }

    private RandomAccessFile file(Path file) throws IOException {
        RandomAccessFile f = open.get(file);
        if (f == null) {
            f = new RandomAccessFile(file.toFile(), "rw");
            open.put(file, f);
            if (open.size() > capacity) {
                Iterator<Map.Entry<Path, RandomAccessFile>> eldest = open.entrySet().iterator();
                closeQuietly(eldest.next().getValue());
                eldest.remove();
            }
        }
        return f;
    }

    private static void closeQuietly(RandomAccessFile f) {
        try {
            f.close();
        } catch (IOException e) {
            // Nothing to do.
        }
    }
}
