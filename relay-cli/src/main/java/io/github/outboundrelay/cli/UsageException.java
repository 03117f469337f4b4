package io.github.outboundrelay.cli;

/** The command line cannot be used as typed; the message says what to type instead. Exit status 2. */
public final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message, null, false, false);
    }
}
