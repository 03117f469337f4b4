package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;

/**
 * The queue's side of {@code RelayClient.sendChain}: the mails to send on one connection, one at a time, and where
 * each outcome goes. Called on the sending thread while it holds the connection; the methods must not throw.
 */
public interface MailFeed {
    /** The next mail, or null: the chain ends. Asked only when the mail can go at once. */
    Mail next();

    /** The relay took the mail (a receipt as {@code RelayClient.send} returns it). */
    void sent(Mail mail, Receipt receipt);

    /** The relay did not take it, or it never reached the relay (as {@code RelayClient.send} throws it). */
    void failed(Mail mail, DeliveryException failure);

    /** These settings cannot send this mail (as {@code RelayClient.send} throws it); the relay was not asked. */
    void invalid(Mail mail, InvalidInputException failure);

    /** One mail: what {@code RelayClient.send(message, rendered, attempt)} takes. */
    interface Mail {
        OutboundMessage message();

        /** The bytes rendered at submit, or null to render now. */
        byte[] rendered();

        int attempt();
    }
}
