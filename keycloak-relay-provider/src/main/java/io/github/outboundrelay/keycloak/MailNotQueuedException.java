package io.github.outboundrelay.keycloak;

/**
 * A login-flow mail was not queued: Keycloak is stopping, the realm was deleted, or the spool refused it (full, not
 * writable). The message says which and what to do; Keycloak shows it to the caller as an email error, so the mail is
 * never dropped silently.
 */
final class MailNotQueuedException extends Exception {
    MailNotQueuedException(String message) {
        super(message);
    }

    MailNotQueuedException(String message, Throwable cause) {
        super(message, cause);
    }
}
