package io.github.outboundrelay.common.failure;

import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.tls.CertificatePinMismatchException;
import io.github.outboundrelay.common.tls.TlsRecordReceivedException;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * The one ordered place where a failure becomes a {@link FailureCategory}. Two inputs: a server reply at a known
 * step, or an I/O failure at a known step. {@link AngusFailures} first works out the step from Angus's exceptions.
 */
public final class FailureClassifier {
    private static final Pattern RELAY_TEXT = Pattern.compile("relay|not permitted|not allowed to send to|unable to deliver to");
    private static final Pattern SEND_AS_TEXT = Pattern.compile("sendasdenied|send as|not verified|not owned by|sender address rejected");

    /** A classified failure, before the remedy text is attached. */
    public record Failure(SmtpStep step, FailureCategory category, boolean transientFailure, SmtpReply reply, String detail) {
        public DeliveryException toException(String relay, Throwable cause) {
            return new DeliveryException(step, category, transientFailure, reply, Remedies.remedy(category, reply), relay,
                    step + " failed: " + detail, cause);
        }
    }

    private FailureClassifier() {
    }

    /** A reply that was not the one expected at {@code step}. */
    public static Failure ofReply(SmtpStep step, SmtpReply reply) {
        String text = reply.text().toLowerCase(Locale.ROOT);
        FailureCategory category = categoryOfReply(step, reply, text);
        // AUTH_FAILED is deferred rather than bounced: a password fixed by an admin makes the same mail go through.
        boolean transientFailure = reply.isTransient() || category == FailureCategory.AUTH_FAILED
                || (category == FailureCategory.PROTOCOL && !reply.isPermanent());
        return new Failure(step, category, transientFailure, reply, "unexpected reply " + reply.code());
    }

    private static FailureCategory categoryOfReply(SmtpStep step, SmtpReply reply, String text) {
        if (reply.closesConnection()) {
            return FailureCategory.CONNECTION_LOST;        // 421: the server is going away, whatever the step.
        }
        if (reply.code() == 530 || reply.enhanced().equals("5.7.0") && text.contains("auth")) {
            return FailureCategory.AUTH_FAILED;            // "Authentication required" at MAIL or RCPT.
        }
        return switch (step) {
            case DNS, TCP, AUTH_TOKEN -> FailureCategory.PROTOCOL;
            case GREETING -> reply.code() == 554 ? FailureCategory.RELAY_DENIED : FailureCategory.PROTOCOL;
            case EHLO -> FailureCategory.PROTOCOL;
            case TLS -> FailureCategory.STARTTLS_UNAVAILABLE;
            case AUTH -> reply.code() == 504 ? FailureCategory.AUTH_UNAVAILABLE : FailureCategory.AUTH_FAILED;
            case MAIL_FROM -> FailureCategory.SENDER_REJECTED;
            case RCPT_TO -> reply.enhanced().equals("5.7.1") || RELAY_TEXT.matcher(text).find()
                    ? FailureCategory.RELAY_DENIED : FailureCategory.RECIPIENT_REJECTED;
            case DATA -> SEND_AS_TEXT.matcher(text).find() ? FailureCategory.SENDER_REJECTED : FailureCategory.MESSAGE_REJECTED;
        };
    }

    /** An I/O failure (no reply) at {@code step}, with the settings in force to tell a TLS-mode mismatch apart. */
    public static Failure ofIo(SmtpStep step, Throwable failure, TlsMode tlsMode, int port) {
        String detail = describe(failure);
        if (has(failure, UnknownHostException.class)) {
            return new Failure(SmtpStep.DNS, FailureCategory.DNS, true, null, detail);
        }
        if (has(failure, ConnectException.class) || has(failure, NoRouteToHostException.class)) {
            return new Failure(SmtpStep.TCP, FailureCategory.CONNECT_REFUSED, true, null, detail);
        }
        if ((step == SmtpStep.TCP || messageContains(failure, "connect timed out")) && has(failure, SocketTimeoutException.class)) {
            // Angus rethrows a connect timeout bare, without its SocketConnectException: the JDK's message tells.
            return new Failure(SmtpStep.TCP, FailureCategory.CONNECT_TIMEOUT, true, null, detail);
        }
        if (has(failure, TlsRecordReceivedException.class)) {
            return new Failure(SmtpStep.GREETING, FailureCategory.TLS_MODE_MISMATCH, false, null,
                    detail + " (port " + port + " speaks implicit TLS, not " + tlsMode + ")");
        }
        if (has(failure, CertificatePinMismatchException.class)) {
            return new Failure(SmtpStep.TLS, FailureCategory.CERTIFICATE_PIN_MISMATCH, false, null, detail);
        }
        if (isHostnameMismatch(failure)) {
            return new Failure(SmtpStep.TLS, FailureCategory.HOSTNAME_MISMATCH, false, null, detail);
        }
        if (has(failure, CertPathValidatorException.class) || has(failure, CertificateExpiredException.class)
                || messageContains(failure, "pkix path") || messageContains(failure, "certification path")) {
            return new Failure(SmtpStep.TLS, FailureCategory.CERTIFICATE_UNTRUSTED, false, null, detail);
        }
        if (messageContains(failure, "unrecognized ssl message") || messageContains(failure, "plaintext connection")) {
            // We spoke TLS first and the server answered in plain text: a plaintext or STARTTLS port.
            return new Failure(SmtpStep.TLS, FailureCategory.TLS_MODE_MISMATCH, false, null,
                    detail + " (the server answered in plain text: port " + port + " does not speak implicit TLS)");
        }
        if (has(failure, SSLException.class)) {
            return new Failure(SmtpStep.TLS, FailureCategory.TLS_HANDSHAKE, true, null, detail);
        }
        // Angus's mail.smtp.writetimeout throws a plain IOException("Write timed out") after closing the socket.
        if (has(failure, SocketTimeoutException.class) || messageContains(failure, "write timed out")) {
            if (step == SmtpStep.GREETING && tlsMode != TlsMode.IMPLICIT_TLS && port == TlsMode.IMPLICIT_TLS.defaultPort()) {
                // No greeting on 465: the server waits for our TLS ClientHello.
                return new Failure(step, FailureCategory.TLS_MODE_MISMATCH, false, null,
                        detail + " (no greeting on port 465, which speaks implicit TLS)");
            }
            return new Failure(step, FailureCategory.TIMEOUT, true, null, detail);
        }
        if (has(failure, EOFException.class) || has(failure, SocketException.class) || messageContains(failure, "[eof]")) {
            return new Failure(step, FailureCategory.CONNECTION_LOST, true, null, detail);
        }
        return new Failure(step, FailureCategory.PROTOCOL, true, null, detail);
    }

    private static boolean isHostnameMismatch(Throwable failure) {
        return messageContains(failure, "no subject alternative")
                || messageContains(failure, "no name matching")
                || messageContains(failure, "server identity does not match")
                || messageContains(failure, "unable to check server identity");
    }

    public static boolean has(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean messageContains(Throwable failure, String needle) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains(needle)) {
                return true;
            }
        }
        return false;
    }

    /** Follows both the cause and jakarta.mail's "next exception" chain. */
    private static Throwable next(Throwable t) {
        if (t.getCause() != null && t.getCause() != t) {
            return t.getCause();
        }
        if (t instanceof jakarta.mail.MessagingException me && me.getNextException() != t) {
            return me.getNextException();
        }
        return null;
    }

    /** First and last cause, as one line: "SocketTimeoutException: Read timed out". */
    public static String describe(Throwable failure) {
        Throwable last = failure;
        for (Throwable t = failure; t != null; t = next(t)) {
            last = t;
        }
        String message = last.getMessage() == null ? "" : ": " + last.getMessage();
        return last.getClass().getSimpleName() + message;
    }
}
