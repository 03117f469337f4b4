package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A few open files, the least recently used closed first, so that reading an entry from a batch and marking it
 * done cost a read or a write, not an open and a close as well: under load that is a fifth of the spool's share of
 * a mail's CPU. Consecutive mails mostly come from the same batch. Thread-safe; the I/O happens under its lock.
 */
public final class FileChannelCache implements AutoCloseable {
    private final int capacity;
    private final OpenOption[] options;
    private final LinkedHashMap<Path, FileChannel> open = new LinkedHashMap<>(16, 0.75f, true); // guarded by this

    FileChannelCache(int capacity, OpenOption... options) {
        this.capacity = capacity;
        this.options = options.clone();
    }

    /** Reads up to {@code length} bytes at {@code position}; the buffer's limit says how many there were. */
    synchronized ByteBuffer read(Path file, long position, int length) throws IOException {
        FileChannel ch = channel(file);
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try {
            long pos = position;
            while (buffer.hasRemaining()) {
                int n = ch.read(buffer, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
        } catch (IOException e) {
            evict(file);
            throw e;
        }
        buffer.flip();
        return buffer;
    }

    /** Writes one byte at {@code position} (the cache opens files for writing). */
    synchronized void write(Path file, long position, byte value) throws IOException {
        FileChannel ch = channel(file);
        try {
            ch.write(ByteBuffer.wrap(new byte[] {value}), position);
        } catch (IOException e) {
            evict(file);
            throw e;
        }
    }

    /** Closes the file if it is open: before it is deleted. */
    synchronized void evict(Path file) {
        FileChannel ch = open.remove(file);
        if (ch != null) {
            closeQuietly(ch);
        }
    }

    @Override
    public synchronized void close() {
        open.values().forEach(FileChannelCache::closeQuietly);
        open.clear();
    }

    private FileChannel channel(Path file) throws IOException {
        FileChannel ch = open.get(file);
        if (ch == null) {
            ch = FileChannel.open(file, options);
            open.put(file, ch);
            if (open.size() > capacity) {
                Iterator<Map.Entry<Path, FileChannel>> eldest = open.entrySet().iterator();
                closeQuietly(eldest.next().getValue());
                eldest.remove();
            }
        }
        return ch;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // Nothing to do.
        }
    }
}
