package io.github.outboundrelay.common.spool;

import java.nio.file.Path;

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
