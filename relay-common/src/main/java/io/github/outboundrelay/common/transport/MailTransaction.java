package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.failure.FailureClassifier;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;

/**
 * The SMTP mail transaction (MAIL FROM, RCPT TO, DATA, the message, ".") and the NOOP and RSET around it, spoken by
 * relay-common on the socket Angus connected. Angus does the greeting, EHLO, STARTTLS and AUTH (one set of TLS and
 * AUTH rules with the probe: {@code TlsPolicy}); from then on this class owns the conversation, and Angus touches
 * the socket again only to send QUIT when the connection closes. Angus has no RFC 2920 PIPELINING and sends each
 * command in lock-step; here, when the relay's EHLO offers PIPELINING, MAIL, every RCPT and DATA leave in one write
 * (in groups of {@value #WINDOW} commands for a long recipient list) and their replies are read afterwards, in
 * order, and the message leaves with its final "." in one write: one round trip and two writes per mail instead of
 * 3 + recipients round trips (docs/architecture.md, "The mail transaction"). Without PIPELINING it waits for each reply, as Angus does.
 *
 * <p>The outcome is Angus's with {@code mail.smtp.sendpartial=true}, which relay-common had before: a refused
 * recipient is reported when another was accepted; a refused sender, all recipients refused, a refused DATA or a
 * refused message is classified at its step ({@link FailureClassifier#ofReply}) and followed by RSET, so the
 * connection takes the next mail. A pipelined group's replies are all read even after a failure (RFC 2920 section
 * 3.1); if the relay opened DATA although every recipient was refused, the message is ended with "." alone. The
 * body is never sent unless DATA got 354. A 421, an I/O error, a timeout, or a reply that does not fit the command
 * (the relay is out of step) leaves the connection unusable ({@link #inStep()} false).
 *
 * <p>Not thread-safe: the pool lends a connection to one sender at a time.
 */
final class MailTransaction {
    private static final byte[] END_OF_DATA = {'.', '\r', '\n'};
    /**
     * Commands written before their replies are read, at most: a long recipient list goes in groups of this size,
     * so that the relay's replies never fill the socket buffers while both sides write (RFC 2920 section 3.1 leaves
     * it to the client not to deadlock). 64 replies are a few KiB.
     */
    static final int WINDOW = 64;

    private final RelaySettings settings;
    private final WriteDeadline out;
    private final SmtpReplyReader replies;
    private final DataWriter body;
    private final Commands commands = new Commands();
    private final List<SmtpReply> rcptReplies = new ArrayList<>();
    private boolean inStep = true;
    private SmtpStep step; // the step whose write or reply is under way: where an I/O failure is classified

    MailTransaction(Socket socket, RelaySettings settings) throws IOException {
        this.settings = settings;
        this.out = new WriteDeadline(socket, settings.timeouts().writeMillis());
        this.replies = new SmtpReplyReader(socket.getInputStream());
        this.body = new DataWriter(out);
    }

    /** False once the conversation may be out of step or closed: the connection must not carry another mail. */
    boolean inStep() {
        return inStep;
    }

    /**
     * Hands one message to the relay. {@code message} is the rendered mail (CRLF line ends); it is dot-stuffed here.
     *
     * @throws DeliveryException classified at the step that failed
     */
    RelayConnection.Delivered send(String envelopeFrom, List<MailAddress> recipients, byte[] message,
                                   boolean pipelining, boolean smtpUtf8) throws DeliveryException {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipient"); // the message's own validation requires one
        }
        step = SmtpStep.MAIL_FROM;
        try {
            if (replies.hasBuffered()) {
                inStep = false; // replies nobody asked for: whatever is read next would answer the wrong command
                throw new FailureClassifier.Failure(step, FailureCategory.CONNECTION_LOST, true, null,
                        "the relay sent lines nobody asked for while the connection was idle").toException(settings.relayName(), null);
            }
            rcptReplies.clear();
            commands.reset();
            commands.line("MAIL FROM:<", envelopeFrom, smtpUtf8 ? "> SMTPUTF8" : ">");
            SmtpReply mail = null;
            SmtpReply data = null;
            if (pipelining) {
                int unanswered = 1;
                for (MailAddress recipient : recipients) {
                    if (unanswered == WINDOW) {
                        commands.writeTo(out);
                        commands.reset();
                        mail = readGroup(mail, unanswered);
                        unanswered = 0;
                    }
                    commands.line("RCPT TO:<", recipient.address(), ">");
                    unanswered++;
                }
                commands.line("DATA", "", "");
                commands.writeTo(out);
                mail = readGroup(mail, unanswered);
                step = SmtpStep.DATA;
                data = expect();
            } else {
                mail = command();
                if (mail.code() == 250) {
                    step = SmtpStep.RCPT_TO;
                    boolean anyAccepted = false;
                    for (MailAddress recipient : recipients) {
                        commands.reset();
                        commands.line("RCPT TO:<", recipient.address(), ">");
                        SmtpReply reply = command();
                        rcptReplies.add(reply);
                        anyAccepted |= accepted(reply);
                    }
                    if (anyAccepted) {
                        step = SmtpStep.DATA;
                        commands.reset();
                        commands.line("DATA", "", "");
                        data = command();
                    }
                }
            }
            step = SmtpStep.DATA;
            return conclude(mail, recipients, data, message);
        } catch (IOException e) {
            inStep = false;
            throw FailureClassifier.ofIo(step, e, settings.tlsMode(), settings.port()).toException(settings.relayName(), e);
        }
    }

    /** Reads the replies to {@code count} commands written together: MAIL's first (while {@code mail} is null). */
    private SmtpReply readGroup(SmtpReply mail, int count) throws IOException, DeliveryException {
        for (int i = 0; i < count; i++) {
            if (mail == null) {
                mail = expect();
                step = SmtpStep.RCPT_TO;
            } else {
                rcptReplies.add(expect());
            }
        }
        return mail;
    }

    /** Decides the mail's fate once the replies before the message are in, and sends it when it may go. */
    private RelayConnection.Delivered conclude(SmtpReply mail, List<MailAddress> recipients, SmtpReply data,
                                               byte[] message) throws IOException, DeliveryException {
        boolean dataOpen = data != null && data.code() == 354;
        FailureClassifier.Failure failure = null;
        List<String> accepted = new ArrayList<>(recipients.size());
        List<Receipt.RejectedRecipient> rejected = List.of();
        if (mail.code() != 250) {
            failure = refused(SmtpStep.MAIL_FROM, mail);
        } else {
            SmtpReply firstRefusal = null;
            for (int i = 0; i < rcptReplies.size() && failure == null; i++) {
                SmtpReply reply = rcptReplies.get(i);
                if (accepted(reply)) {
                    accepted.add(recipients.get(i).address());
                } else if (reply.isTransient() || reply.isPermanent()) {
                    if (rejected.isEmpty()) {
                        rejected = new ArrayList<>();
                        firstRefusal = reply;
                    }
                    rejected.add(new Receipt.RejectedRecipient(recipients.get(i).address(), reply,
                            FailureClassifier.ofReply(SmtpStep.RCPT_TO, reply).category()));
                } else {
                    failure = refused(SmtpStep.RCPT_TO, reply); // neither yes nor no: out of step
                }
            }
            if (failure == null && accepted.isEmpty()) {
                failure = FailureClassifier.ofReply(SmtpStep.RCPT_TO, firstRefusal);
            } else if (failure == null && !dataOpen) {
                failure = refused(SmtpStep.DATA, data);
            }
        }
        if (failure != null) {
            if (inStep && dataOpen) {
                endEmpty();
            }
            abandon();
            throw failure.toException(settings.relayName(), null);
        }
        body.reset();
        body.write(message, 0, message.length);
        body.end();
        SmtpReply end = expect();
        if (end.code() != 250) {
            failure = refused(SmtpStep.DATA, end);
            abandon();
            throw failure.toException(settings.relayName(), null);
        }
        if (replies.hasBuffered()) {
            inStep = false; // the mail went through, but the relay said more than it was asked
        }
        return new RelayConnection.Delivered(accepted, rejected, end);
    }

    /** NOOP round trip; false when the relay is gone, closing or out of step (Angus's strict NOOP: 250 only). */
    boolean noop() {
        try {
            if (!inStep || replies.hasUnread()) {
                inStep = false;
                return false;
            }
            commands.reset();
            commands.line("NOOP", "", "");
            commands.writeTo(out);
            SmtpReply reply = replies.read();
            inStep = reply.code() == 250;
        } catch (IOException e) {
            inStep = false;
        }
        return inStep;
    }

    /** Sends one command and waits for its reply: the lock-step way. */
    private SmtpReply command() throws IOException, DeliveryException {
        commands.writeTo(out);
        return expect();
    }

    /** The next reply; a 421 ends the conversation at once (the relay closes: later replies will not come). */
    private SmtpReply expect() throws IOException, DeliveryException {
        SmtpReply reply = replies.read();
        if (reply.closesConnection()) {
            inStep = false;
            throw FailureClassifier.ofReply(step, reply).toException(settings.relayName(), null);
        }
        return reply;
    }

    /**
     * "." alone, for a transaction the relay opened with 354 that must not carry the message: an empty message ends
     * it. The refusal that led here is what the caller reports, whatever happens to the ".".
     */
    private void endEmpty() {
        try {
            out.write(END_OF_DATA, END_OF_DATA.length);
            settle(replies.read());
        } catch (IOException e) {
            inStep = false;
        }
    }

    /** A reply to the "." that ends an abandoned transaction: anything but a 2xx leaves the state unknown. */
    private void settle(SmtpReply reply) {
        if (!reply.isPositive()) {
            inStep = false;
        }
    }

    /** RSET after a refusal, so the connection can carry the next mail; when that fails, it cannot. */
    private void abandon() {
        if (!inStep) {
            return;
        }
        try {
            commands.reset();
            commands.line("RSET", "", "");
            commands.writeTo(out);
            settle(replies.read());
        } catch (IOException e) {
            inStep = false;
        }
    }

    /**
     * The classified refusal of a reply that was not the expected one. A positive reply there (a 250 where 354 was
     * due) means the replies no longer match the commands: not the relay refusing the mail, so a transient
     * PROTOCOL failure and the connection is not used again.
     */
    private FailureClassifier.Failure refused(SmtpStep step, SmtpReply reply) {
        if (reply.isPositive() || reply.code() < 200 || reply.code() >= 600) {
            inStep = false;
            return new FailureClassifier.Failure(step, FailureCategory.PROTOCOL, true, reply,
                    "unexpected reply " + reply.code() + ": the relay's replies do not match the commands");
        }
        return FailureClassifier.ofReply(step, reply);
    }

    /** RCPT TO accepted: any 2xx, as Angus takes it (RFC 5321 4.3.2). */
    private static boolean accepted(SmtpReply reply) {
        return reply.code() >= 200 && reply.code() < 300;
    }


    /**
     * The command lines of one write, in a buffer kept for the connection's life (no allocation per mail when the
     * addresses are ASCII). A CR or LF inside a command would let an address smuggle in a command of its own:
     * refused, as Angus refuses it (addresses are validated before, so this never happens with a valid message).
     */
    private static final class Commands {
        private byte[] bytes = new byte[512];
        private int length;

        void reset() {
            length = 0;
        }

        void line(String head, String value, String tail) {
            append(head);
            append(value);
            append(tail);
            put((byte) '\r');
            put((byte) '\n');
        }

        void writeTo(WriteDeadline out) throws IOException {
            out.write(bytes, length);
        }

        private void append(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\r' || c == '\n') {
                    throw new IllegalArgumentException("a line break inside an SMTP command");
                }
                if (c >= 0x80) {
                    for (byte b : s.substring(i).getBytes(StandardCharsets.UTF_8)) { // SMTPUTF8 addresses
                        if (b == '\r' || b == '\n') { // in UTF-8 these bytes are only ever CR and LF themselves
                            throw new IllegalArgumentException("a line break inside an SMTP command");
                        }
                        put(b);
                    }
                    return;
                }
                put((byte) c);
            }
        }

        private void put(byte b) {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[length++] = b;
        }
    }
}
