package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.PrintableText;

import java.util.Optional;

/**
 * A mail that was not delivered, with the category, whether a retry can help, the server's reply and a remedy.
 * The message is one line an operator can read; the cause chain keeps the technical detail.
 *
 * <pre>{@code
 * try { client.send(message); }
 * catch (DeliveryException e) { log.warn(e.category() + ": " + e.remedy()); if (e.isTransient()) retryLater(); }
 * }</pre>
 */
public final class DeliveryException extends Exception {
    private final FailureCategory category;
    private final boolean transientFailure;
    private final SmtpReply reply;
    private final String remedy;
    private final String relay;
    private final SmtpStep step;

    public DeliveryException(FailureCategory category, boolean transientFailure, SmtpReply reply, String remedy,
                             String relay, String detail, Throwable cause) {
        this(null, category, transientFailure, reply, remedy, relay, detail, cause);
    }

    /** @param step the step of the SMTP conversation that failed, or null when unknown */
    public DeliveryException(SmtpStep step, FailureCategory category, boolean transientFailure, SmtpReply reply,
                             String remedy, String relay, String detail, Throwable cause) {
        // The detail may quote what the server sent: never let its control characters reach a terminal or log.
        super(category + " at " + relay + ": " + PrintableText.escape(detail) + (reply == null ? "" : " (server replied " + reply + ")"), cause);
        this.step = step;
        this.category = category;
        this.transientFailure = transientFailure;
        this.reply = reply;
        this.remedy = remedy;
        this.relay = relay;
    }

    public FailureCategory category() {
        return category;
    }

    /** Whether the same mail may be accepted on a later attempt (4xx, network trouble), as opposed to 5xx. */
    public boolean isTransient() {
        return transientFailure;
    }

    public Optional<SmtpReply> reply() {
        return Optional.ofNullable(reply);
    }

    public String remedy() {
        return remedy;
    }

    /** The step that failed: a refusal at the greeting concerns the client, at RCPT TO one recipient. */
    public Optional<SmtpStep> step() {
        return Optional.ofNullable(step);
    }

    /** {@code host:port} of the relay that failed. */
    public String relay() {
        return relay;
    }
}
