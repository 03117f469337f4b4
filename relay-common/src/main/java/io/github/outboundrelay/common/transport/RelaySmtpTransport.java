package io.github.outboundrelay.common.transport;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's SMTP transport with relay-common's DATA writer: Angus still sends DATA and reads its 354, sends the final
 * "." and reads the reply (with its own handling of every failure), and does the greeting, EHLO, STARTTLS and AUTH;
 * only the message between 354 and "." goes through {@link DataWriter} straight to the socket Angus talks over,
 * instead of Angus's per-line {@code SMTPOutputStream} (docs/performance.md, "Where the time goes"). Without a
 * known socket it is Angus unchanged. The hooks are the ones Angus documents for subclasses: {@link #data()} and
 * {@link #finishData()}.
 */
final class RelaySmtpTransport extends SMTPTransport {
    private final long writeTimeoutMillis;
    private Socket socket;          // the socket Angus talks over, once connected; guarded by this
    private DataWriter writer;      // the current message's, between data() and finishData(); guarded by this

    RelaySmtpTransport(Session session, long writeTimeoutMillis) {
        super(session, new URLName("smtp", null, -1, null, null, null));
        this.writeTimeoutMillis = writeTimeoutMillis;
    }

    /** The socket Angus connected for this transport (the TLS one after STARTTLS); null keeps Angus's own writer. */
    synchronized void talksOver(Socket socket) {
        this.socket = socket;
    }

    synchronized boolean hasOwnWriter() {
        return socket != null;
    }

    @Override
    protected synchronized OutputStream data() throws MessagingException {
        OutputStream angus = super.data(); // DATA and its 354; Angus's stream stays unused, so at line start
        if (socket == null) {
            return angus;
        }
        try {
            writer = new DataWriter(new WriteDeadline(socket, writeTimeoutMillis));
        } catch (IOException e) {
            throw new MessagingException("cannot write to the relay", e);
        }
        return writer;
    }

    @Override
    protected synchronized void finishData() throws IOException, MessagingException {
        DataWriter current = writer;
        writer = null;
        if (current != null) {
            current.finish(); // the message, its last line ended, on the wire before Angus writes "."
        }
        super.finishData();
    }
}
