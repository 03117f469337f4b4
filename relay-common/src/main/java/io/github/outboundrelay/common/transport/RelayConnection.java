package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.failure.AngusFailures;
import io.github.outboundrelay.common.failure.FailureClassifier;
import io.github.outboundrelay.common.mime.RenderedMessage;
import io.github.outboundrelay.common.tls.ImplicitTlsDetector;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.auth.OAuth2TokenSource;
import io.github.outboundrelay.common.tls.SocketRecorder;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.tls.TlsPolicy;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import javax.net.ssl.SSLSocket;
import java.util.List;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * One open, authenticated connection to a relay, checked for what Angus does not check: that AUTH really happened
 * when it was asked for. Angus connects it (greeting, EHLO, STARTTLS, AUTH) and closes it (QUIT). In between, when
 * the socket Angus talks over is known, relay-common owns the conversation: {@link MailTransaction} sends each mail
 * (pipelined when the relay offers PIPELINING) and the NOOP of {@link #isAlive}, and reads every reply with its own
 * reader, so Angus must never read that socket again (its buffered reader would take our replies): nothing here
 * calls Angus between {@link #open} and {@link #close}. Where the socket is unknown, Angus's {@code sendMessage}
 * and {@code isConnected} do it all, as before. docs/architecture.md, "The mail transaction".
 * Not thread-safe: the pool lends it to one sender at a time.
 */
public final class RelayConnection {
    private final RelaySmtpTransport transport;
    private final Session session;
    private final MailTransaction transaction; // null: Angus sends (its socket is unknown)
    private final boolean pipelining;
    private final boolean smtpUtf8;
    private final long openedNanos; // before the connect: the reuse time limit counts the connect and greeting too
    private boolean angusInStep = true; // the fallback's: false once a send failed without a reply or with a 421
    private long lastUsedNanos;

    private RelayConnection(RelaySmtpTransport transport, Session session, MailTransaction transaction, long nowNanos) {
        this.transport = transport;
        this.session = session;
        this.transaction = transaction;
        // Asked once: the EHLO reply after STARTTLS and AUTH does not change while the connection lives.
        this.pipelining = transport.supportsExtension("PIPELINING");
        this.smtpUtf8 = transport.supportsExtension("SMTPUTF8");
        this.openedNanos = nowNanos;
        this.lastUsedNanos = nowNanos;
    }

    public static RelayConnection open(Session session, RelaySettings settings, TlsContext tls, OAuth2TokenSource tokens, long nowNanos)
            throws DeliveryException {
        RelaySmtpTransport transport = new RelaySmtpTransport(session);
        Authentication auth = settings.authentication();
        Socket socket;
        try {
            String user = null;
            String secret = null;
            if (auth instanceof Authentication.Password p) {
                user = p.username();
                secret = p.password().reveal();
            } else if (auth instanceof Authentication.OAuth2 o) {
                user = o.username();
                secret = tokens.token().reveal();
            }
            String u = user;
            String pw = secret;
            SocketRecorder.take(); // forget a socket made on this thread before: only this connect's count
            AngusTraceGuard.quietly(() -> {
                transport.connect(settings.host(), settings.port(), u, pw);
                return null;
            });
            socket = socketAngusTalksOver(SocketRecorder.take(), transport.isSSL());
        } catch (MessagingException e) {
            if (tokens != null && e instanceof jakarta.mail.AuthenticationFailedException) {
                tokens.invalidate(); // The next connection fetches a fresh token.
            }
            throw ImplicitTlsDetector.recheck(AngusFailures.ofConnect(e, settings), settings, tls)
                    .toException(settings.relayName(), e);
        }
        MailTransaction transaction = null;
        if (socket != null) {
            try {
                transaction = new MailTransaction(socket, settings);
            } catch (IOException e) {
                closeQuietly(transport);
                throw FailureClassifier.ofIo(SmtpStep.GREETING, e, settings.tlsMode(), settings.port())
                        .toException(settings.relayName(), e);
            }
        }
        RelayConnection connection = new RelayConnection(transport, session, transaction, nowNanos);
        connection.checkSecured(settings);
        return connection;
    }

    /**
     * The socket our factories made last while Angus connected: the one it talks over (after STARTTLS, the TLS socket
     * layered last). Anything else (none, closed, TLS where Angus says plain or the reverse) keeps Angus's own
     * DATA stream: never a write to a socket that is not the conversation's.
     */
    private static Socket socketAngusTalksOver(Socket made, boolean angusSaysTls) {
        if (made == null || !made.isConnected() || made.isClosed() || (made instanceof SSLSocket) != angusSaysTls) {
            return null;
        }
        return made;
    }

    /**
     * Angus connects without authenticating when the relay offers no AUTH, and the relay may then accept mail as an
     * open relay would: refuse instead. Also re-checks that STARTTLS really happened. Both rules are TlsPolicy's.
     */
    private void checkSecured(RelaySettings settings) throws DeliveryException {
        FailureClassifier.Failure failure = TlsPolicy.requireEncrypted(settings.tlsMode(), transport.isSSL());
        if (failure == null) {
            failure = TlsPolicy.requireAuthOffered(settings.authentication(), TlsPolicy.offeredMechanisms(authCapabilities()));
        }
        if (failure != null) {
            close();
            throw failure.toException(settings.relayName(), null);
        }
    }

    /** The AUTH lines of the relay's EHLO reply, as Angus parsed them. */
    private List<String> authCapabilities() {
        List<String> capabilities = new ArrayList<>();
        String mechanisms = transport.getExtensionParameter("AUTH");
        if (mechanisms != null) {
            capabilities.add("AUTH " + mechanisms);
        }
        if (transport.supportsExtension("AUTH=LOGIN")) {
            capabilities.add("AUTH=LOGIN");
        }
        return capabilities;
    }

    /** Whether relay-common speaks the mail transaction on this connection (else Angus's {@code sendMessage}). */
    boolean speaksTransactionItself() {
        return transaction != null;
    }

    /** Whether the relay's EHLO (after STARTTLS and AUTH) offered RFC 2920 PIPELINING. */
    boolean pipelines() {
        return pipelining;
    }

    public boolean supportsSmtpUtf8() {
        return smtpUtf8;
    }

    /**
     * Hands one rendered message to the relay; rejected recipients are reported, not thrown, when others were
     * accepted. {@code envelopeFrom} is the MAIL FROM address; {@code recipients} every RCPT TO (Bcc included).
     */
    public Delivered send(byte[] rendered, String envelopeFrom, List<MailAddress> recipients, RelaySettings settings,
                          long nowNanos) throws DeliveryException {
        lastUsedNanos = nowNanos;
        if (transaction != null) {
            // SMTPUTF8 on every MAIL FROM when allowed and offered, as Angus adds it under mail.mime.allowutf8.
            return transaction.send(envelopeFrom, recipients, rendered, pipelining, smtpUtf8 && settings.allowUtf8());
        }
        InternetAddress[] envelope = envelope(recipients);
        try {
            AngusTraceGuard.quietly(() -> {
                transport.sendMessage(new RenderedMessage(session, rendered, envelopeFrom), envelope);
                return null;
            });
            return new Delivered(addresses(envelope), List.of(), replyOf(transport));
        } catch (SMTPSendFailedException e) {
            if (e.getReturnCode() / 100 == 2 && e.getValidSentAddresses() != null && e.getValidSentAddresses().length > 0) {
                return new Delivered(addresses(e.getValidSentAddresses()), rejected(e),
                        AngusFailures.replyOf(e.getReturnCode(), e.getMessage()));
            }
            throw angusFailed(e, settings);
        } catch (MessagingException e) {
            throw angusFailed(e, settings);
        }
    }

    /**
     * Classifies a failed {@code sendMessage} and decides, as {@link MailTransaction} does, whether the connection
     * can carry the next mail: Angus sends RSET after a refusal, so a refusal leaves it in step; after a 421 the
     * relay is gone, and a failure without a reply (I/O, end of stream) leaves it closed or out of step.
     */
    private DeliveryException angusFailed(MessagingException e, RelaySettings settings) {
        FailureClassifier.Failure failure = AngusFailures.ofSend(e, settings);
        if (failure.reply() == null || failure.reply().closesConnection()) {
            angusInStep = false;
        }
        return failure.toException(settings.relayName(), e);
    }

    /**
     * Whether mails can be chained on this connection ({@link #chain}): relay-common speaks the transaction and the
     * relay's EHLO offered PIPELINING. Otherwise mail goes one by one, as {@link #send} sends it.
     */
    public boolean chains() {
        return transaction != null && pipelining;
    }

    /**
     * Sends the mails {@code mails} gives back to back, one round trip per mail ({@code MailTransaction.chain}); each
     * outcome goes to {@link ChainedMails#done}. Only where {@link #chains()}.
     */
    public void chain(ChainedMails mails, RelaySettings settings, long nowNanos) {
        if (!chains()) {
            throw new IllegalStateException("mails are chained only where relay-common speaks a pipelined transaction");
        }
        lastUsedNanos = nowNanos;
        transaction.chain(mails, smtpUtf8 && settings.allowUtf8());
    }

    /**
     * Whether the connection can carry another mail: false after a 421, an I/O failure, or replies out of step
     * with the commands, even when the failure itself (a refused recipient) would leave it usable.
     */
    public boolean usable() {
        return transaction == null ? angusInStep && transport.inStep() : transaction.inStep();
    }

    /** NOOP round trip: false when the relay dropped the connection while it sat in the pool. */
    public boolean isAlive() {
        if (transaction != null) {
            return transaction.noop();
        }
        return AngusTraceGuard.quietly(transport::isConnected);
    }

    public long idleNanos(long nowNanos) {
        return nowNanos - lastUsedNanos;
    }

    /** Time since {@link #open} began to connect: what the pool's reuse time limit is measured against. */
    public long ageNanos(long nowNanos) {
        return nowNanos - openedNanos;
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    void markUsed(long nowNanos) {
        lastUsedNanos = nowNanos;
    }

    /** QUIT without waiting for the reply (quitwait is false), then the socket is closed: Angus's own close. */
    public void close() {
        closeQuietly(transport);
    }

    private static void closeQuietly(RelaySmtpTransport transport) {
        try {
            AngusTraceGuard.quietly(() -> {
                transport.close();
                return null;
            });
        } catch (MessagingException | RuntimeException e) {
            // Closing a connection the relay already dropped: nothing to do.
        }
    }

    /** The RCPT TO addresses for Angus: every recipient, Bcc included (Bcc never appears in a header). */
    private static InternetAddress[] envelope(List<MailAddress> recipients) {
        InternetAddress[] addresses = new InternetAddress[recipients.size()];
        for (int i = 0; i < addresses.length; i++) {
            InternetAddress address = new InternetAddress();
            address.setAddress(recipients.get(i).address());
            addresses[i] = address;
        }
        return addresses;
    }

    /** What the relay accepted. */
    public record Delivered(List<String> accepted, List<Receipt.RejectedRecipient> rejected, SmtpReply finalReply) {
    }

    private static SmtpReply replyOf(SMTPTransport transport) {
        return AngusFailures.replyOf(transport.getLastReturnCode(), transport.getLastServerResponse());
    }

    private static List<String> addresses(Address[] addresses) {
        List<String> list = new ArrayList<>();
        for (Address a : addresses) {
            list.add(((InternetAddress) a).getAddress());
        }
        return list;
    }

    private static List<Receipt.RejectedRecipient> rejected(SendFailedException e) {
        List<Receipt.RejectedRecipient> list = new ArrayList<>();
        for (Exception x = e.getNextException(); x != null; x = x instanceof jakarta.mail.MessagingException me ? me.getNextException() : null) {
            if (x instanceof SMTPAddressFailedException afe) {
                SmtpReply reply = AngusFailures.replyOf(afe.getReturnCode(), afe.getMessage());
                list.add(new Receipt.RejectedRecipient(afe.getAddress().getAddress(), reply,
                        FailureClassifier.ofReply(SmtpStep.RCPT_TO, reply).category()));
            }
        }
        return list;
    }
}
