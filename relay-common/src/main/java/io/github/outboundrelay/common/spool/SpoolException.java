package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The spool could not take or keep a mail: full, not writable, locked by another process. Thrown by
 * {@link MailQueue#submit} instead of dropping the mail: when {@code submit} throws, the mail was NOT queued and the
 * caller still owns it. The message names the spool and the problem; {@link #fix()} says what to do.
 *
 * <pre>{@code
 * try { queue.submit(message); }
 * catch (SpoolException e) { showError(e.getMessage()); }   // "... /var/jenkins/outbound-relay/spool is full ..."
 * }</pre>
 */
public final class SpoolException extends RuntimeException {
    private final String location;
    private final String problem;
    private final String fix;

    public SpoolException(String location, String problem, String fix, Throwable cause) {
        super("Spool " + location + ": " + problem + ". " + fix, cause);
        this.location = location;
        this.problem = problem;
        this.fix = fix;
    }

    SpoolException(Path directory, String problem, String fix, Throwable cause) {
        this(directory.toAbsolutePath().toString(), problem, fix, cause);
    }

    /**
     * An I/O failure of the file spool in {@code root}, explained: a full disk, a directory not writable, a layout
     * changed underneath, or else the error as it is. {@code consequence} says what became of the mail.
     */
    static SpoolException of(Path root, String action, IOException e, String consequence) {
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (text.contains("no space left") || text.contains("disk quota exceeded")) {
            return new SpoolException(root, action + ": the disk is full (" + e.getMessage() + ")",
                    (consequence + " Free disk space on that file system or move the spool to a larger one").strip(), e);
        }
        if (e instanceof AccessDeniedException || text.contains("read-only file system")
                || text.contains("operation not permitted") || text.contains("permission denied")) {
            return new SpoolException(root, action + ": the directory is not writable (" + e + ")",
                    (consequence + " Give the user running this process (" + System.getProperty("user.name")
                            + ") write access to the directory, or remount its file system read-write").strip(), e);
        }
        if (e instanceof NoSuchFileException || e instanceof NotDirectoryException || e instanceof FileAlreadyExistsException) {
            return new SpoolException(root, action + ": the directory layout changed underneath the queue (" + e + ")",
                    (consequence + " Do not edit the spool directory while the queue runs; restart to recreate it").strip(), e);
        }
        return new SpoolException(root, action + " (" + e + ")", (consequence + " Check the disk and the directory").strip(), e);
    }

    /** The spool directory, or whatever names a spool that is not a directory (a database table). */
    public String location() {
        return location;
    }

    public String problem() {
        return problem;
    }

    public String fix() {
        return fix;
    }
}
