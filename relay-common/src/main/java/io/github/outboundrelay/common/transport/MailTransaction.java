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
 * For the queue's backlog, {@link #chain} sends mails back to back: one mail's message, its "." and the next mail's
 * envelope in one write, one round trip per mail (docs/architecture.md, "Chained mails").
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
    private boolean endAnswered; // in a chain: the reply to the "." of the mail before was read
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
     * With PIPELINING it is a chain of one mail ({@link #chain}).
     *
     * @throws DeliveryException classified at the step that failed
     */
    RelayConnection.Delivered send(String envelopeFrom, List<MailAddress> recipients, byte[] message,
                                   boolean pipelining, boolean smtpUtf8) throws DeliveryException {
        ChainedMails.Envelope mail = new ChainedMails.Envelope(envelopeFrom, recipients, message);
        if (pipelining) {
            OneMail one = new OneMail(mail);
            chain(one, smtpUtf8);
            return one.outcome();
        }
        step = SmtpStep.MAIL_FROM;
        try {
            checkNothingUnasked();
            rcptReplies.clear();
            commands.reset();
            commands.line("MAIL FROM:<", envelopeFrom, smtpUtf8 ? "> SMTPUTF8" : ">");
            SmtpReply data = null;
            SmtpReply mailReply = command();
            if (mailReply.code() == 250) {
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
            step = SmtpStep.DATA;
            Verdict verdict = verdict(mailReply, recipients, data);
            if (verdict.failure() != null) {
                throw refusedEnvelope(verdict);
            }
            body.reset();
            body.write(message, 0, message.length);
            body.end();
            return finish(verdict);
        } catch (IOException e) {
            inStep = false;
            throw FailureClassifier.ofIo(step, e, settings.tlsMode(), settings.port()).toException(settings.relayName(), e);
        }
    }

    /**
     * Sends the mails {@code mails} gives back to back, on a connection whose relay offers PIPELINING: the message of
     * one mail, its ".", and the next mail's MAIL, RCPTs and DATA leave in one write (RFC 2920 section 3.1 lets
     * message content start a group; DATA stays last), then the reply to "." and the next mail's envelope replies
     * are read, in order: one round trip per mail on a busy connection instead of two (docs/architecture.md,
     * "Chained mails"). The first mail's envelope leaves alone, as does the next mail's after a refused envelope.
     *
     * <p>Each mail keeps its own outcome ({@link ChainedMails#done}, in order). A refused envelope fails only its mail
     * (the connection is RSET, as after any refusal, and the chain goes on); a refused "." fails only its mail (the
     * relay ended that transaction whatever it answered, and the next MAIL is already on its way: no RSET). A 421,
     * an I/O failure, a timeout or a reply out of step ends the chain: a mail whose reply to "." was read keeps its
     * outcome, the others in flight fail as transient failures, and no mail is reported sent without its 250 to ".".
     * The chain asks for a mail only when it goes on the wire in the next write, so no mail is taken and left unsent.
     */
    void chain(ChainedMails mails, boolean smtpUtf8) {
        ChainedMails.Envelope current = mails.next();
        Verdict ending = null; // the mail whose message and "." go out before current's envelope; its reply comes first
        try {
            while (current != null) {
                Verdict verdict;
                endAnswered = false;
                try {
                    verdict = envelope(current, smtpUtf8, ending, mails);
                } catch (IOException e) {
                    inStep = false;
                    if (ending != null && !endAnswered) {
                        mails.done(null, ioFailure(SmtpStep.DATA, e));
                        mails.done(null, ioFailure(SmtpStep.MAIL_FROM, e));
                    } else {
                        mails.done(null, ioFailure(step, e));
                    }
                    return;
                } catch (DeliveryException e) {
                    inStep = false;
                    mails.done(null, e);
                    if (ending != null && !endAnswered) {
                        // The 421 answered the mail before: this one's envelope went out behind it, unanswered.
                        mails.done(null, new FailureClassifier.Failure(SmtpStep.MAIL_FROM, FailureCategory.CONNECTION_LOST,
                                true, null, "the relay closed the connection before it answered this mail, which "
                                + "went out behind the mail before").toException(settings.relayName(), null));
                    }
                    return;
                }
                ending = null;
                if (verdict.failure() != null) {
                    mails.done(null, refusedEnvelope(verdict));
                    current = inStep ? mails.next() : null;
                    continue;
                }
                if (replies.hasBuffered()) { // more replies than commands: whatever comes next answers the wrong one
                    inStep = false;
                    mails.done(null, new FailureClassifier.Failure(SmtpStep.DATA, FailureCategory.PROTOCOL, true, null,
                            "the relay sent more replies than there were commands").toException(settings.relayName(), null));
                    return;
                }
                ChainedMails.Envelope next;
                try {
                    body.reset();
                    body.write(current.message(), 0, current.message().length);
                    next = mails.next();
                    if (next == null) {
                        body.end();
                        mails.done(finish(verdict), null);
                    }
                } catch (IOException e) {
                    inStep = false;
                    mails.done(null, ioFailure(SmtpStep.DATA, e));
                    return;
                } catch (DeliveryException e) {
                    mails.done(null, e);
                    return;
                }
                ending = verdict; // its "." goes out with next's envelope, in the next write
                current = next;
            }
        } catch (RuntimeException e) {
            inStep = false; // a message half written, or a command refused before it was written: never reuse
            throw e;
        }
    }

    /**
     * Writes MAIL, every RCPT and DATA, pipelined (in windows of {@value #WINDOW} for a long recipient list), the
     * first window behind {@code ending}'s message and "." when it is not null; reads every reply, the one to
     * {@code ending}'s "." first ({@link #answerEnd}), and judges them.
     */
    private Verdict envelope(ChainedMails.Envelope mail, boolean smtpUtf8, Verdict ending, ChainedMails mails)
            throws IOException, DeliveryException {
        step = SmtpStep.MAIL_FROM;
        if (ending == null) {
            checkNothingUnasked();
        }
        rcptReplies.clear();
        commands.reset();
        commands.line("MAIL FROM:<", mail.from(), smtpUtf8 ? "> SMTPUTF8" : ">");
        SmtpReply mailReply = null;
        Verdict behind = ending;
        int unanswered = behind != null ? 2 : 1; // the "." counts: its reply comes first
        for (MailAddress recipient : mail.recipients()) {
            if (unanswered == WINDOW) {
                mailReply = writeAndRead(mailReply, unanswered, behind, mails);
                behind = null;
                unanswered = 0;
            }
            commands.line("RCPT TO:<", recipient.address(), ">");
            unanswered++;
        }
        commands.line("DATA", "", "");
        mailReply = writeAndRead(mailReply, unanswered, behind, mails);
        step = SmtpStep.DATA;
        return verdict(mailReply, mail.recipients(), expect());
    }

    /**
     * Writes the commands gathered, behind {@code ending}'s message and "." when it is not null, and reads the
     * replies to {@code count} of them (the "." included), MAIL's first while {@code mail} is null.
     */
    private SmtpReply writeAndRead(SmtpReply mail, int count, Verdict ending, ChainedMails mails)
            throws IOException, DeliveryException {
        if (ending != null) {
            body.endWith(commands.bytes, commands.length);
            commands.reset();
            answerEnd(ending, mails);
            count--;
        } else {
            commands.writeTo(out);
            commands.reset();
        }
        return readGroup(mail, count);
    }

    /**
     * Reads the reply to a chained mail's "." and tells its outcome at once. A refusal fails that mail only; a
     * reply that does not fit (a 354, a 2xx other than 250 is taken as out of step by {@link #refused}) means the
     * replies after it answer other commands, so the mail behind fails too.
     */
    private void answerEnd(Verdict ending, ChainedMails mails) throws IOException, DeliveryException {
        SmtpStep before = step;
        step = SmtpStep.DATA;
        SmtpReply end = expect(); // a 421 throws: the chain tells both mails
        endAnswered = true;
        if (end.code() == 250) {
            mails.done(ending.delivered(end), null);
        } else {
            mails.done(null, refused(SmtpStep.DATA, end).toException(settings.relayName(), null));
            if (!inStep) {
                throw new FailureClassifier.Failure(SmtpStep.MAIL_FROM, FailureCategory.PROTOCOL, true, null,
                        "the reply to the message before did not fit: the replies no longer match the commands")
                        .toException(settings.relayName(), null);
            }
        }
        step = before;
    }

    /** Replies nobody asked for, waiting before a new mail starts: whatever is read next would answer the wrong command. */
    private void checkNothingUnasked() throws DeliveryException {
        if (replies.hasBuffered()) {
            inStep = false;
            throw new FailureClassifier.Failure(step, FailureCategory.CONNECTION_LOST, true, null,
                    "the relay sent lines nobody asked for while the connection was idle").toException(settings.relayName(), null);
        }
    }

    private DeliveryException ioFailure(SmtpStep at, IOException e) {
        return FailureClassifier.ofIo(at, e, settings.tlsMode(), settings.port()).toException(settings.relayName(), e);
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

    /**
     * What the replies before the message say: the mail may go ({@code failure} null, with the recipients accepted
     * and refused), or it fails at the step that refused it.
     */
    private record Verdict(FailureClassifier.Failure failure, boolean dataOpen, List<String> accepted,
                           List<Receipt.RejectedRecipient> rejected) {
        RelayConnection.Delivered delivered(SmtpReply end) {
            return new RelayConnection.Delivered(accepted, rejected, end);
        }
    }

    /** Judges the replies to MAIL, every RCPT ({@link #rcptReplies}) and DATA (null when it was not sent). */
    private Verdict verdict(SmtpReply mail, List<MailAddress> recipients, SmtpReply data) {
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
        return new Verdict(failure, dataOpen, accepted, rejected);
    }

    /**
     * Ends a mail whose envelope was refused: "." alone when the relay opened DATA anyway (the message never goes
     * without a 354 for a recipient it took), then RSET, so the connection can take the next mail.
     */
    private DeliveryException refusedEnvelope(Verdict verdict) {
        if (inStep && verdict.dataOpen()) {
            endEmpty();
        }
        abandon();
        return verdict.failure().toException(settings.relayName(), null);
    }

    /** Reads the reply to the "." of a message that went out with nothing behind it. */
    private RelayConnection.Delivered finish(Verdict verdict) throws IOException, DeliveryException {
        SmtpReply end = expect();
        if (end.code() != 250) {
            FailureClassifier.Failure failure = refused(SmtpStep.DATA, end);
            abandon();
            throw failure.toException(settings.relayName(), null);
        }
        if (replies.hasBuffered()) {
            inStep = false; // the mail went through, but the relay said more than it was asked
        }
        return verdict.delivered(end);
    }

    /** A chain of one mail, for {@link #send}: its outcome returned or thrown. */
    private static final class OneMail implements ChainedMails {
        private ChainedMails.Envelope mail;
        private RelayConnection.Delivered delivered;
        private DeliveryException failure;

        OneMail(ChainedMails.Envelope mail) {
            this.mail = mail;
        }

        @Override
        public ChainedMails.Envelope next() {
            ChainedMails.Envelope m = mail;
            mail = null;
            return m;
        }

        @Override
        public void done(RelayConnection.Delivered delivered, DeliveryException failure) {
            this.delivered = delivered;
            this.failure = failure;
        }

        RelayConnection.Delivered outcome() throws DeliveryException {
            if (failure != null) {
                throw failure;
            }
            if (delivered == null) {
                throw new IllegalStateException("the mail transaction ended without an outcome");
            }
            return delivered;
        }
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
