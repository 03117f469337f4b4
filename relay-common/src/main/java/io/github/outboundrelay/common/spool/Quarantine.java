package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;

/**
 * {@code quarantine/}: what the spool could not read, kept aside rather than deleted or sent garbled, each with a
 * {@code .reason.txt} beside it, and reported to the queue's {@link Spool.QuarantineListener}. The bytes go after the
 * retention of mail bodies; the reason stays and says so.
 */
final class Quarantine {
    static final String ENTRY = ".msg";
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    private final Path root;
    private final Path dir;
    private volatile Spool.QuarantineListener listener = Spool.QuarantineListener.NONE;

    Quarantine(Path root, Path dir) {
        this.root = root;
        this.dir = dir;
    }

    void listener(Spool.QuarantineListener listener) {
        this.listener = listener == null ? Spool.QuarantineListener.NONE : listener;
    }

    /** Copies unreadable bytes of {@code file} aside (the file keeps its other entries) and reports them. */
    void copy(String name, Path file, long offset, long length, String reason) {
        Path target = dir.resolve(name + ENTRY);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(target, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING), SpoolPermissions.privateFile(target))) {
            in.transferTo(offset, length, out);
            writeReason(target, reason + " (from " + file.getFileName() + " at byte " + offset + ")");
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot copy unreadable entry " + name
                    + " to quarantine (" + e + "); it is skipped");
            target = file;
        }
        report(name, target, reason);
    }

    /** Moves an unreadable file aside and reports it. */
    void move(String name, Path from, String reason) {
        Path target = dir.resolve(from.getFileName());
        try {
            Files.move(from, target, StandardCopyOption.REPLACE_EXISTING);
            writeReason(target, reason);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot move unreadable " + from
                    + " to quarantine (" + e + "); it is skipped");
            target = from;
        }
        report(name, target, reason);
    }

    /** Tells the listener; a listener must not break recovery or delivery. */
    void report(String name, Object where, String reason) {
        try {
            listener.quarantined(name, String.valueOf(where), reason);
        } catch (RuntimeException e) {
            // A listener must not break recovery or delivery.
        }
    }

    /** Deletes the bytes of entries quarantined before {@code before}; their reason says so. @return how many */
    int deleteBodies(Instant before) throws IOException {
        int deleted = 0;
        for (Path p : DurableFiles.list(dir, "*" + ENTRY)) {
            if (Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                DurableFiles.writeLine(reasonFile(p), "Its bytes were deleted after the retention of quarantined mail bodies.",
                        StandardOpenOption.APPEND);
                Files.deleteIfExists(p);
                deleted++;
            }
        }
        return deleted;
    }

    private static void writeReason(Path quarantined, String reason) throws IOException {
        DurableFiles.writeLine(reasonFile(quarantined), reason, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static Path reasonFile(Path quarantined) {
        return quarantined.resolveSibling(quarantined.getFileName() + ".reason.txt");
    }
}
