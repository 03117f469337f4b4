package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps a spool private to the user running the queue: mail bodies carry password-reset and action links, so no
 * other local user may read them. Directories are created 0700 and files 0600 where the file system has POSIX
 * permissions; {@link #secure} checks an existing spool at start and tightens what a wider umask (or an older
 * version) left readable, saying so in the log, or refuses the spool with the commands that fix it when it cannot.
 * On a file system without POSIX permissions it says once that the directory's own access rules are all there is.
 *
 * <p>Tightening rather than refusing: the spool is the queue's own directory, nobody else has a reason to read it,
 * and every spool written before this check existed is 0755/0644; refusing would stop every upgraded installation's
 * mail until an administrator ran chmod, for a change the queue can make itself.
 */
public final class SpoolPermissions {
    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];
    private static final FileAttribute<?>[] PRIVATE_FILE = {PosixFilePermissions.asFileAttribute(FILE)};
    private static final FileAttribute<?>[] PRIVATE_DIRECTORY = {PosixFilePermissions.asFileAttribute(DIRECTORY)};
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    private SpoolPermissions() {
    }

    /** What to create a spool file with: owner read and write only, where the file system knows permissions. */
    static FileAttribute<?>[] privateFile(Path file) {
        return posix(file) ? PRIVATE_FILE : NONE;
    }

    /** Creates {@code dir} and any missing parent owner-only. */
    static void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir, posix(dir) ? PRIVATE_DIRECTORY : NONE);
    }

    /**
     * Makes the spool under {@code root} private: every directory 0700, every file 0600, logging what it changed.
     *
     * @throws SpoolException when something is readable by others and cannot be changed (another user owns it)
     */
    static void secure(Path root) {
        if (!posix(root)) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": the file system has no POSIX permissions, so "
                    + "queued mail is protected only by the directory's own access rules: give only the user running "
                    + "this process (" + System.getProperty("user.name") + ") access to it");
            return;
        }
        List<String> widened = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                boolean directory = Files.isDirectory(p);
                Set<PosixFilePermission> now = Files.getPosixFilePermissions(p);
                Set<PosixFilePermission> wanted = directory ? DIRECTORY : FILE;
                if (!intersects(now, OTHERS) && now.containsAll(wanted)) {
                    continue;
                }
                if (widened.size() < 3) {
                    widened.add(root.relativize(p) + " " + PosixFilePermissions.toString(now));
                }
                Files.setPosixFilePermissions(p, wanted);
                if (!Files.getPosixFilePermissions(p).equals(wanted)) {
                    LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": the file system does not keep POSIX "
                            + "permissions (" + p + " stays " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
                            + "): give only the user running this process access to the directory by other means");
                    return;
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new SpoolException(root, "is readable by other local users and its permissions cannot be restricted ("
                    + e + ")", "Give the spool to the user running this process and make it private: chown -R "
                    + System.getProperty("user.name") + " " + root + " && chmod -R go= " + root, e);
        }
        if (!widened.isEmpty()) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + " was readable by other local users (" + String.join(", ", widened)
                    + "); it is now private (directories rwx------, files rw-------). Mail queued before may have been read by them");
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static boolean intersects(Set<PosixFilePermission> a, Set<PosixFilePermission> b) {
        for (PosixFilePermission p : a) {
            if (b.contains(p)) {
                return true;
            }
        }
        return false;
    }
}
