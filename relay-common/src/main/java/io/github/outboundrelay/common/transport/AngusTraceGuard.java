package io.github.outboundrelay.common.transport;

import java.util.logging.Filter;
import java.util.logging.Logger;

/**
 * Angus Mail traces the whole SMTP conversation, message bodies and password-reset links included, to the
 * {@value #PROTOCOL_LOGGER} logger once someone sets it to FINEST, and lists every recipient unmasked on its
 * {@value #SMTP_LOGGER} logger at FINE. This guard drops both loggers' records while the current thread is inside
 * a relay-common connection, so turning up log levels can never leak a body or an address: relay-common's own
 * delivery log says what happened, masked. Other users of Angus in the same JVM (the host's own mailer) keep their
 * logs. (A java.util.logging filter applies to its own logger only, hence one per logger.) Angus names a transport's
 * loggers after the transport class's package, so relay-common's {@code RelaySmtpTransport} logs to
 * {@link #RELAY_SMTP_LOGGER} (this package) and its {@code .protocol} child: guarded the same way. No relay-common class logs to
 * exactly that name (their loggers are named after the class).
 */
public final class AngusTraceGuard {
    public static final String SMTP_LOGGER = "org.eclipse.angus.mail.smtp";
    public static final String PROTOCOL_LOGGER = "org.eclipse.angus.mail.smtp.protocol";
    public static final String RELAY_SMTP_LOGGER = RelaySmtpTransport.class.getPackageName();
    public static final String RELAY_PROTOCOL_LOGGER = RELAY_SMTP_LOGGER + ".protocol";

    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    // Held strongly: java.util.logging keeps loggers weakly, and a collected logger would lose its filter.
    private static final Logger SMTP = guard(Logger.getLogger(SMTP_LOGGER));
    private static final Logger PROTOCOL = guard(Logger.getLogger(PROTOCOL_LOGGER));
    private static final Logger RELAY_SMTP = guard(Logger.getLogger(RELAY_SMTP_LOGGER));
    private static final Logger RELAY_PROTOCOL = guard(Logger.getLogger(RELAY_PROTOCOL_LOGGER));

    private static Logger guard(Logger logger) {
        Filter previous = logger.getFilter();
        logger.setFilter(record -> !INSIDE.get() && (previous == null || previous.isLoggable(record)));
        return logger;
    }

    private AngusTraceGuard() {
    }

    /** Runs an Angus call with its protocol trace suppressed on this thread. */
    static <T, E extends Exception> T quietly(Call<T, E> call) throws E {
        boolean outer = INSIDE.get();
        INSIDE.set(Boolean.TRUE);
        try {
            return call.run();
        } finally {
            INSIDE.set(outer);
        }
    }

    interface Call<T, E extends Exception> {
        T run() throws E;
    }
}
