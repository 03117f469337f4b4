package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.MailAddress;

import java.util.List;

/**
 * The mails of a chain on one connection ({@link RelayConnection#chain}): where the transaction takes the next mail
 * and tells each mail's outcome. {@code RelayClient} implements it for the queue's backlog. Called on the sending
 * thread while it holds the connection; must not throw.
 */
public interface ChainedMails {
    /**
     * The next mail, or null: the chain ends. Asked only when the mail goes on the wire in the very next write, so
     * a mail taken from here is always attempted.
     */
    Envelope next();

    /** The outcome of one mail, in the order {@link #next} gave them; exactly one of the two is null. */
    void done(RelayConnection.Delivered delivered, DeliveryException failure);

    /**
     * One mail as the transaction sends it.
     *
     * @param from       the MAIL FROM address
     * @param recipients every RCPT TO, Bcc included
     * @param message    the rendered mail (CRLF line ends, not dot-stuffed)
     */
    record Envelope(String from, List<MailAddress> recipients, byte[] message) {
        public Envelope {
            if (recipients.isEmpty()) {
                throw new IllegalArgumentException("no recipient"); // the message's own validation requires one
            }
        }
    }
}
