package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How the spool makes a file durable: written whole under {@code tmp/} and forced to disk, renamed atomically into
 * place, the directory forced so the rename survives a power loss; every file created owner-only
 * ({@link SpoolPermissions}). And the small file helpers the spool's parts share.
 */
final class DurableFiles {
    /** Writes a temporary file completely and forces it to disk. A seam for tests of a failing disk. */
    @FunctionalInterface
    interface Writer {
        Writer FORCED = DurableFiles::writeAndForce;

        void write(Path file, byte[] bytes) throws IOException;
    }

    private final Path tmpDir;
    private final Writer writer;

    DurableFiles(Path tmpDir, Writer writer) {
        this.tmpDir = tmpDir;
        this.writer = writer;
    }

    /** Writes {@code tmp} through the writer; deletes what was written when that fails. */
    void writeTemp(Path tmp, byte[] bytes) throws IOException {
        try {
            writer.write(tmp, bytes);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Replaces (or creates) {@code dir/name} with {@code bytes}, durably: tmp file, fsync, atomic rename, fsync dir. */
    void writeInto(Path dir, String name, byte[] bytes) throws IOException {
        Path tmp = tmpDir.resolve(name + ".tmp");
        writeTemp(tmp, bytes);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir);
    }

    /** Writes the whole file (over a recycled one, or a new one), cuts it to size and forces it to disk. */
    static void writeAndForce(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                SpoolPermissions.privateFile(file))) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            long position = 0;
            while (buffer.hasRemaining()) {
                position += ch.write(buffer, position);
            }
            ch.truncate(bytes.length);
            ch.force(false);
        }
    }

    /** Makes renames into {@code dir} durable. Windows cannot open a directory, and needs no such sync. */
    static void forceDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw e;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** Overwrites a file's first {@code size} bytes with zeros, in place; not forced. Not interruptible. */
    static void zero(Path file, byte[] zeros, int size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            for (int done = 0; done < size; done += zeros.length) {
                f.write(zeros, 0, Math.min(zeros.length, size - done));
            }
        }
    }

    /** Writes (or appends) one line to a file created owner-only. */
    static void writeLine(Path file, String line, StandardOpenOption mode) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode),
                SpoolPermissions.privateFile(file))) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
    }

    /** Reads up to {@code length} bytes at {@code position}; the buffer's limit says how many there were. */
    static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        buffer.flip();
        return buffer;
    }

    static List<Path> list(Path dir, String glob) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            stream.forEach(files::add);
        }
        return files;
    }

    /** The file's name without {@code suffix}. */
    static String nameOf(Path p, String suffix) {
        String name = p.getFileName().toString();
        return name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : name;
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Best effort: recovery clears tmp/ anyway.
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Nothing to do.
        }
    }
}
