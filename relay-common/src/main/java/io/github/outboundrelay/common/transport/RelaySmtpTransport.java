package io.github.outboundrelay.common.transport;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's SMTP transport as relay-common uses it: it connects (greeting, EHLO, STARTTLS, AUTH) and closes (QUIT);
 * the mail transaction in between is {@link MailTransaction}'s whenever the socket Angus talks over is known
 * ({@link RelayConnection}), and Angus's own {@code sendMessage} only when it is not. Its own class so that Angus
 * names its loggers after this package, which {@link AngusTraceGuard} silences.
 *
 * <p>In {@code sendMessage} the rules of {@link MailTransaction} hold: a 421 ends the transaction at once (Angus
 * would take a 421 to RCPT TO for one refused recipient and go on writing to a relay that has closed, and the failure
 * would then be a broken pipe at DATA or the 421, depending on how fast the relay closed); after a 421, the end of
 * the stream, or an RSET that was not answered 2xx, the conversation is out of step ({@link #inStep()} false) and the
 * connection carries no other mail.
 */
final class RelaySmtpTransport extends SMTPTransport {
    private boolean sending; // guarded by this (Angus's methods are synchronized)
    private String lastCommand;
    private boolean inStep = true; // guarded by this

    RelaySmtpTransport(Session session) {
        super(session, new URLName("smtp", null, -1, null, null, null));
    }

    @Override
    public synchronized void sendMessage(Message message, Address[] addresses) throws MessagingException {
        sending = true;
        try {
            super.sendMessage(message, addresses);
        } finally {
            sending = false;
            lastCommand = null;
        }
    }

    @Override
    protected synchronized void sendCommand(String command) throws MessagingException {
        lastCommand = command;
        super.sendCommand(command);
    }

    /** A 421 as the refusal of the command it answered (RSET's aside), so that it is classified at that step. */
    @Override
    protected synchronized int readServerResponse() throws MessagingException {
        int code = super.readServerResponse();
        if (!sending) {
            return code; // connect and close: Angus's own rules
        }
        boolean reset = "RSET".equals(lastCommand);
        if (code == 421 || code == -1 || (reset && code / 100 != 2)) {
            inStep = false;
        }
        if (code == 421 && !reset) {
            throw new SMTPSendFailedException(lastCommand, code, getLastServerResponse(), null, null, null, null);
        }
        return code;
    }

    /** False once a reply in {@code sendMessage} said the conversation cannot go on (see the class comment). */
    synchronized boolean inStep() {
        return inStep;
    }
}
