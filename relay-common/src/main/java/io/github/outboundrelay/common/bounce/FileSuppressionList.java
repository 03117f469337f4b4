package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.SuppressionList;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.BounceKind;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The suppression list as one file, {@code suppressions.tsv}, in a directory only this process's user may read
 * (the list holds addresses: owner-only, like the spool). Held in memory for the per-send lookups; every change
 * rewrites the file to a temporary file, forces it to disk and renames it into place, so that a crash leaves
 * either the old list or the new one, never half of one.
 *
 * <p>Format, one entry per line after a version line: {@code address TAB suppressed TAB reason TAB status TAB
 * softBounces TAB since-epoch-ms TAB last-epoch-ms TAB diagnostic}. Addresses hold no whitespace and diagnostics
 * no tab or line break (both are checked on the way in), so no escaping is needed.
 *
 * <pre>{@code
 * SuppressionList list = FileSuppressionList.open(jenkinsHome.resolve("outbound-relay/suppressions"));
 * }</pre>
 */
public final class FileSuppressionList implements SuppressionList {
    static final String FILE = "suppressions.tsv";
    static final String VERSION = "# outbound-relay suppressions v1";
    private static final FileAttribute<?> PRIVATE_DIRECTORY = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<?> PRIVATE_FILE = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"));

    private final Path directory;
    private final Map<String, Suppression> entries = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    private FileSuppressionList(Path directory) {
        this.directory = directory;
    }

    /**
     * Opens the list in {@code directory}, creating it owner-only if needed.
     *
     * @throws UncheckedIOException when the directory cannot be created or the file is unreadable
     */
    public static FileSuppressionList open(Path directory) {
        FileSuppressionList list = new FileSuppressionList(directory);
        try {
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory, posix() ? new FileAttribute<?>[] {PRIVATE_DIRECTORY} : new FileAttribute<?>[0]);
            }
            if (posix()) {
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            }
            list.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the suppression list in " + directory, e);
        }
        return list;
    }

    @Override
    public Optional<Suppression> get(String address) {
        return Optional.ofNullable(entries.get(Suppression.normalize(address)));
    }

    @Override
    public void put(Suppression entry) throws IOException {
        synchronized (writeLock) {
            Suppression before = entries.put(entry.address(), entry);
            try {
                save();
            } catch (IOException e) {
                // Not durable, so not on the list: the report stays unmarked and is applied again next poll.
                if (before == null) {
                    entries.remove(entry.address());
                } else {
                    entries.put(entry.address(), before);
                }
                throw e;
            }
        }
    }

    @Override
    public boolean remove(String address) throws IOException {
        synchronized (writeLock) {
            Suppression before = entries.remove(Suppression.normalize(address));
            if (before == null) {
                return false;
            }
            try {
                save();
            } catch (IOException e) {
                entries.put(before.address(), before);
                throw e;
            }
            return true;
        }
    }

    @Override
    public List<Suppression> search(String text, int limit) {
        String needle = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return entries.values().stream().filter(s -> s.address().contains(needle))
                .sorted((a, b) -> a.address().compareTo(b.address())).limit(Math.max(0, limit)).toList();
    }

    @Override
    public long suppressedCount() {
        return entries.values().stream().filter(Suppression::suppressed).count();
    }

    private void load() throws IOException {
        Path file = directory.resolve(FILE);
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(VERSION)) {
            throw new IOException(file + " is not a suppression list (first line: " + (lines.isEmpty() ? "none" : lines.get(0)) + ")");
        }
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split("\t", 8);
            if (f.length != 8) {
                throw new IOException(file + " line " + (i + 1) + " has " + f.length + " fields, not 8");
            }
            try {
                Suppression s = new Suppression(f[0], Boolean.parseBoolean(f[1]), BounceKind.valueOf(f[2]), f[3],
                        f[7], Integer.parseInt(f[4]), Instant.ofEpochMilli(Long.parseLong(f[5])),
                        Instant.ofEpochMilli(Long.parseLong(f[6])));
                entries.put(s.address(), s);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Called with the write lock held. */
    private void save() throws IOException {
        Path file = directory.resolve(FILE);
        Path temp = directory.resolve(FILE + ".tmp");
        Files.deleteIfExists(temp);
        try (FileChannel channel = posix()
                ? FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), PRIVATE_FILE)
                : FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
            out.write(VERSION);
            out.write('\n');
            List<Suppression> sorted = new ArrayList<>(entries.values());
            sorted.sort((a, b) -> a.address().compareTo(b.address()));
            for (Suppression s : sorted) {
                out.write(String.join("\t", s.address(), Boolean.toString(s.suppressed()), s.reason().name(), s.status(),
                        Integer.toString(s.softBounces()), Long.toString(s.since().toEpochMilli()),
                        Long.toString(s.lastReport().toEpochMilli()), s.diagnostic()));
                out.write('\n');
            }
            out.flush();
            channel.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory();
    }

    /** The rename is durable only once the directory is: fsync it where the platform allows. */
    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every platform can open a directory (Windows); the rename itself was atomic.
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
