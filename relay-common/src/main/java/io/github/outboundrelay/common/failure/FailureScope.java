package io.github.outboundrelay.common.failure;

import io.github.outboundrelay.common.FailureCategory;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.SmtpStep;

/**
 * What a failed attempt says about whom: the relay (try another relay, let this one cool down) or this one mail
 * (retry it later, or give it up). The one ordered place where the queue decides; each rule says why.
 */
public enum FailureScope {
    /** The relay refused our credentials: pause it, or the account gets locked; the mail waits. */
    RELAY_CREDENTIALS,
    /** The relay could not be reached or spoken to: skip it for a cool-down, the next relay takes the mail. */
    RELAY,
    /** The relay answered 4xx about this mail: retry it after a backoff; the relay is fine. */
    MESSAGE_TRANSIENT,
    /** The relay answered 5xx about this mail: the same mail will be refused again; dead letter. */
    MESSAGE_PERMANENT;

    public static FailureScope of(DeliveryException e) {
        if (e.step().orElse(null) == SmtpStep.GREETING) {
            // Refused before any mail was named (554 "client host blocked", 421): the relay will not talk to us.
            return e.category() == FailureCategory.AUTH_FAILED ? RELAY_CREDENTIALS : RELAY;
        }
        return switch (e.category()) {
            // Retrying a refused password every few seconds locks the account (Microsoft 365, Google): pause.
            case AUTH_FAILED, AUTH_TOKEN -> RELAY_CREDENTIALS;
            // A reply about the sender, a recipient or the content concerns this mail, not the relay's health
            // (greylisting answers 4xx to one mail while the relay takes others).
            case SENDER_REJECTED, RECIPIENT_REJECTED, RELAY_DENIED, MESSAGE_REJECTED ->
                    e.isTransient() ? MESSAGE_TRANSIENT : MESSAGE_PERMANENT;
            // The queue's own verdict (SendGate), never a relay's answer: the mail is dead, the relay untouched.
            case EXPIRED, RECIPIENT_SUPPRESSED -> MESSAGE_PERMANENT;
            // Everything else happens before the relay looks at the mail: network, TLS, certificates, timeouts,
            // a dropped connection, 421. Even the permanent ones (an untrusted certificate) are the relay's or the
            // settings' fault, never the mail's: the mail waits for a relay that works instead of bouncing.
            case DNS, CONNECT_REFUSED, CONNECT_TIMEOUT, TLS_HANDSHAKE, CERTIFICATE_UNTRUSTED, CERTIFICATE_PIN_MISMATCH,
                 HOSTNAME_MISMATCH, TLS_MODE_MISMATCH, STARTTLS_UNAVAILABLE, AUTH_UNAVAILABLE, TIMEOUT,
                 CONNECTION_LOST, PROTOCOL -> RELAY;
        };
    }
}
