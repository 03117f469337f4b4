package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.BounceMailboxFailure;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.auth.OAuth2TokenSource;
import io.github.outboundrelay.common.failure.FailureClassifier;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.tls.TlsPolicy;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.FolderNotFoundException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.search.AndTerm;
import jakarta.mail.search.FlagTerm;
import jakarta.mail.search.NotTerm;
import jakarta.mail.search.SearchTerm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.eclipse.angus.mail.imap.IMAPFolder;

/**
 * The bounce mailbox over IMAP (Angus Mail). {@link #read()} only looks (EXAMINE: nothing changes, not even
 * \Seen); {@link #poll(ReportSink)} hands each new report to a sink and marks it only after the sink returned, so a
 * crash or failure in between means the report is read again, never lost (the sink must be idempotent: adding an
 * address to the suppression list twice is adding it once).
 *
 * <pre>{@code
 * BounceMailbox mailbox = new BounceMailbox(settings, Clock.systemUTC());
 * MailboxRead seen = mailbox.read();                               // the CLI: look, change nothing
 * mailbox.poll(reports -> suppressions.apply(reports));            // the intake: take into account, then mark
 * }</pre>
 *
 * One connection per call: polls are minutes apart, and an idle IMAP connection would be dropped by the server.
 */
public final class BounceMailbox {
    /** The keyword of a report taken into account (with the FLAG disposition, beside \Seen). */
    public static final String PROCESSED_KEYWORD = "OutboundRelayProcessed";
    /** The keyword of a mail nothing was understood of: left unread for a person, but not counted again. */
    public static final String UNKNOWN_KEYWORD = "OutboundRelayUnknown";

    /** Takes the reports of one mail into account. Throwing leaves the mail unmarked, to be read again. */
    @FunctionalInterface
    public interface ReportSink {
        void accept(List<BounceReport> reports) throws IOException;
    }

    private final BounceMailboxSettings settings;
    private final Session session;
    private final String protocol;
    private final OAuth2TokenSource tokens;

    public BounceMailbox(BounceMailboxSettings settings, Clock clock) {
        this.settings = settings;
        this.protocol = settings.tlsMode() == TlsMode.IMPLICIT_TLS ? "imaps" : "imap";
        this.session = Session.getInstance(properties(settings, protocol, TlsContext.create(settings.trust())));
        this.tokens = settings.authentication() instanceof Authentication.OAuth2 o
                ? new OAuth2TokenSource(o, settings.timeouts(), clock) : null;
    }

    public BounceMailboxSettings settings() {
        return settings;
    }

    /** Reads up to {@code maxPerPoll} of the oldest mails of the folder, read-only: the mailbox is not changed. */
    public MailboxRead read() throws BounceMailboxException {
        try (Opened opened = open(Folder.READ_ONLY)) {
            Folder folder = opened.folder;
            int count = folder.getMessageCount();
            Message[] messages = count == 0 ? new Message[0]
                    : folder.getMessages(1, Math.min(count, settings.maxPerPoll()));
            prefetch(folder, messages);
            List<MailboxRead.ReadMail> mails = new ArrayList<>();
            for (Message message : messages) {
                mails.add(new MailboxRead.ReadMail(((UIDFolder) folder).getUID(message), BounceReportParser.parse(raw(message), settings.verpSender())));
            }
            return new MailboxRead(settings.folder(), count, mails);
        } catch (MessagingException | IOException e) {
            throw classify(e);
        }
    }

    /**
     * Reads the mails not yet marked, hands each one's reports to {@code sink} and then marks it: processed ones as
     * the disposition says, unknown ones with {@link #UNKNOWN_KEYWORD} only (still unread, for a person).
     *
     * @throws BounceMailboxException when the mailbox fails; reports already marked stay taken into account
     * @throws IOException            what the sink threw; that mail and the rest stay unmarked
     */
    public MailboxRead poll(ReportSink sink) throws BounceMailboxException, IOException {
        try (Opened opened = open(Folder.READ_WRITE)) {
            IMAPFolder folder = (IMAPFolder) opened.folder;
            boolean keywords = folder.getPermanentFlags().contains(Flags.Flag.USER);
            Folder destination = destination(opened.store);
            Message[] found = folder.search(notYetMarked(keywords));
            Message[] messages = Arrays.copyOf(found, Math.min(found.length, settings.maxPerPoll()));
            prefetch(folder, messages);
            List<MailboxRead.ReadMail> mails = new ArrayList<>();
            List<Message> processed = new ArrayList<>();
            try {
                for (Message message : messages) {
                    MailboxRead.ReadMail mail = new MailboxRead.ReadMail(folder.getUID(message), BounceReportParser.parse(raw(message), settings.verpSender()));
                    if (mail.unknown()) {
                        if (keywords) {
                            folder.setFlags(new Message[] {message}, new Flags(UNKNOWN_KEYWORD), true);
                        }
                    } else {
                        sink.accept(mail.reports());
                        mark(folder, message, keywords);
                        processed.add(message);
                    }
                    mails.add(mail);
                }
            } catch (IOException sinkFailed) {
                // The mails taken into account before the failure are marked: move or delete them too, or they would
                // stay marked in the folder, where no later poll looks for them.
                try {
                    finish(folder, destination, processed);
                } catch (MessagingException alsoFailed) {
                    sinkFailed.addSuppressed(alsoFailed);
                }
                throw sinkFailed;
            }
            finish(folder, destination, processed);
            return new MailboxRead(settings.folder(), folder.getMessageCount(), mails);
        } catch (MessagingException e) {
            throw classify(e);
        }
    }

    /** Checked before any report is touched, so that a missing folder fails the poll instead of losing marks. */
    private Folder destination(Store store) throws MessagingException {
        if (settings.disposition() != BounceMailboxSettings.Disposition.MOVE) {
            return null;
        }
        Folder destination = store.getFolder(settings.moveTo());
        if (!destination.exists()) {
            throw new FolderNotFoundException(destination, "the folder '" + settings.moveTo() + "' for processed reports does not exist");
        }
        return destination;
    }

    private SearchTerm notYetMarked(boolean keywords) {
        SearchTerm notDeleted = new NotTerm(new FlagTerm(new Flags(Flags.Flag.DELETED), true));
        if (!keywords) {
            // A server without keywords: \Seen is the only mark there is.
            return new AndTerm(notDeleted, new NotTerm(new FlagTerm(new Flags(Flags.Flag.SEEN), true)));
        }
        Flags marks = new Flags(PROCESSED_KEYWORD);
        return new AndTerm(new SearchTerm[] {notDeleted, new NotTerm(new FlagTerm(marks, true)),
                new NotTerm(new FlagTerm(new Flags(UNKNOWN_KEYWORD), true))});
    }

    /** Marks one mail at once, so that a failure later in the poll does not make it count twice. */
    private void mark(IMAPFolder folder, Message message, boolean keywords) throws MessagingException {
        Flags flags = new Flags(Flags.Flag.SEEN);
        if (keywords) {
            flags.add(PROCESSED_KEYWORD);
        }
        folder.setFlags(new Message[] {message}, flags, true);
    }

    /** Moves or deletes the marked mails, after all of them were taken into account. */
    private void finish(IMAPFolder folder, Folder destination, List<Message> processed) throws MessagingException {
        if (processed.isEmpty()) {
            return;
        }
        Message[] done = processed.toArray(Message[]::new);
        switch (settings.disposition()) {
            case FLAG -> { }
            case MOVE -> folder.moveMessages(done, destination);
            case DELETE -> {
                folder.setFlags(done, new Flags(Flags.Flag.DELETED), true);
                folder.expunge(done); // UID EXPUNGE: only these, never another client's deleted mail.
            }
        }
    }

    private static void prefetch(Folder folder, Message[] messages) throws MessagingException {
        FetchProfile profile = new FetchProfile();
        profile.add(UIDFolder.FetchProfileItem.UID);
        profile.add(FetchProfile.Item.SIZE);
        folder.fetch(messages, profile);
    }

    private static byte[] raw(Message message) throws MessagingException, IOException {
        if (message.getSize() > BounceReportParser.MAX_BYTES) {
            return new byte[BounceReportParser.MAX_BYTES + 1]; // Not fetched: the parser calls it unknown.
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(message.getSize(), 1024));
        message.writeTo(out);
        return out.toByteArray();
    }

    private final class Opened implements AutoCloseable {
        final Store store;
        final Folder folder;

        Opened(Store store, Folder folder) {
            this.store = store;
            this.folder = folder;
        }

        @Override
        public void close() {
            try {
                if (folder.isOpen()) {
                    folder.close(false); // Never expunge on close: only UID EXPUNGE of our own marked mails.
                }
            } catch (MessagingException | IllegalStateException e) {
                // Closing after a failure; the failure is what is reported.
            }
            try {
                store.close();
            } catch (MessagingException e) {
                // Likewise.
            }
        }
    }

    private Opened open(int mode) throws BounceMailboxException, MessagingException {
        Authentication auth = settings.authentication();
        String secret = auth instanceof Authentication.Password p ? p.password().reveal() : token();
        Store store = session.getStore(protocol);
        store.connect(settings.host(), settings.port(), settings.user(), secret);
        try {
            Folder folder = store.getFolder(settings.folder());
            folder.open(mode);
            return new Opened(store, folder);
        } catch (MessagingException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private String token() throws BounceMailboxException {
        try {
            return tokens.token().reveal();
        } catch (DeliveryException e) {
            throw new BounceMailboxException(BounceMailboxFailure.AUTH_TOKEN, e.getMessage(), e);
        }
    }

    private BounceMailboxException classify(Exception e) {
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof AuthenticationFailedException) {
            return new BounceMailboxException(BounceMailboxFailure.AUTH_FAILED, "the server said: " + detail, e);
        }
        if (e instanceof FolderNotFoundException) {
            return new BounceMailboxException(BounceMailboxFailure.FOLDER_MISSING, detail, e);
        }
        if (detail.contains("STARTTLS is required")) {
            return new BounceMailboxException(BounceMailboxFailure.STARTTLS_UNAVAILABLE, detail, e);
        }
        if (settings.tlsMode() == TlsMode.STARTTLS && settings.port() == 993 && FailureClassifier.has(e, SocketTimeoutException.class)) {
            // No greeting on 993: the server waits for our TLS ClientHello.
            return new BounceMailboxException(BounceMailboxFailure.TLS_MODE_MISMATCH, detail + " (no greeting on port 993)", e);
        }
        FailureClassifier.Failure failure = FailureClassifier.ofIo(SmtpStep.GREETING, e, settings.tlsMode(), settings.port());
        return new BounceMailboxException(mailboxFailure(failure.category()), detail, e);
    }

    /** The relays' TLS rules (TlsPolicy) and the mailbox's own: timeouts, mechanisms, reading without marking. */
    static Properties properties(BounceMailboxSettings settings, String protocol, TlsContext tls) {
        String prefix = "mail." + protocol + ".";
        Properties p = new Properties();
        p.put(prefix + "connectiontimeout", Integer.toString(settings.timeouts().connectMillis()));
        p.put(prefix + "timeout", Integer.toString(settings.timeouts().readMillis()));
        p.put(prefix + "writetimeout", Integer.toString(settings.timeouts().writeMillis()));
        TlsPolicy.applyTo(p, protocol, settings.tlsMode(), tls.socketFactory());
        p.put(prefix + "auth.mechanisms", settings.authentication().mechanisms());
        // Fetching with BODY.PEEK: reading a report never marks it \Seen; only mark() does, after the sink.
        p.put(prefix + "peek", "true");
        p.put(prefix + "partialfetch", "false");
        p.put("mail.debug", "false");
        return p;
    }

    /** The mailbox counterpart of a connection or TLS failure classified by the relay's classifier. */
    private static BounceMailboxFailure mailboxFailure(FailureCategory category) {
        return switch (category) {
            case DNS -> BounceMailboxFailure.DNS;
            case CONNECT_REFUSED -> BounceMailboxFailure.CONNECT_REFUSED;
            case CONNECT_TIMEOUT -> BounceMailboxFailure.CONNECT_TIMEOUT;
            case TLS_HANDSHAKE -> BounceMailboxFailure.TLS_HANDSHAKE;
            case CERTIFICATE_UNTRUSTED -> BounceMailboxFailure.CERTIFICATE_UNTRUSTED;
            case CERTIFICATE_PIN_MISMATCH -> BounceMailboxFailure.CERTIFICATE_PIN_MISMATCH;
            case HOSTNAME_MISMATCH -> BounceMailboxFailure.HOSTNAME_MISMATCH;
            case TLS_MODE_MISMATCH -> BounceMailboxFailure.TLS_MODE_MISMATCH;
            case STARTTLS_UNAVAILABLE -> BounceMailboxFailure.STARTTLS_UNAVAILABLE;
            case AUTH_FAILED, AUTH_UNAVAILABLE -> BounceMailboxFailure.AUTH_FAILED;
            case AUTH_TOKEN -> BounceMailboxFailure.AUTH_TOKEN;
            case TIMEOUT -> BounceMailboxFailure.TIMEOUT;
            case CONNECTION_LOST -> BounceMailboxFailure.CONNECTION_LOST;
            default -> BounceMailboxFailure.PROTOCOL;
        };
    }
}
