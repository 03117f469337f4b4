package io.github.outboundrelay.common;

import io.github.outboundrelay.common.failure.FailureClassifier;

import io.github.outboundrelay.common.auth.OAuth2TokenSource;
import io.github.outboundrelay.common.probe.RelayProbe;
import io.github.outboundrelay.common.redaction.Redaction;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.transport.ConnectionPool;
import io.github.outboundrelay.common.transport.MailSessionFactory;
import io.github.outboundrelay.common.bounce.Verp;
import io.github.outboundrelay.common.mime.MimeRenderer;
import io.github.outboundrelay.common.transport.ChainedMails;
import io.github.outboundrelay.common.transport.MailFeed;
import io.github.outboundrelay.common.transport.RelayConnection;

import jakarta.mail.Session;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Sends mail through one relay over pooled, reused connections. Thread-safe; create one per settings and keep it:
 * it holds the mail session, the TLS context, the OAuth2 token cache and the open connections.
 *
 * <pre>{@code
 * try (RelayClient client = RelayClient.create(settings)) {
 *     Receipt receipt = client.send(message);          // throws DeliveryException with category and remedy
 *     ProbeReport report = client.probe(null);         // test connection, step by step
 * }
 * }</pre>
 */
public final class RelayClient implements AutoCloseable {
    /** A pooled connection idle longer than this gets a NOOP before it carries a mail. */
    static final Duration LIVENESS_CHECK_AFTER = Duration.ofSeconds(1);

    /**
     * How long after it was opened a connection may carry mail, however busy it is: Postfix's
     * {@code smtp_connection_reuse_time_limit}, with its default (300 s), so that the relay's per-session limits,
     * DNS and failover changes and server-side session state are refreshed. A chain ends after the mail under way
     * once it passed (docs/architecture.md, "Chained mails").
     */
    static final Duration CONNECTION_REUSE_TIME_LIMIT = Duration.ofSeconds(300);

    private static final ScheduledExecutorService JANITOR = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "outbound-relay-pool-janitor");
        t.setDaemon(true);
        return t;
    });

    private final RelaySettings settings;
    private final TlsContext tls;
    private final Session session;
    private final OAuth2TokenSource tokens;
    private final ConnectionPool pool;
    private final DeliveryLog log;
    private final ScheduledFuture<?> janitorTask;
    private final LongSupplier nanoTime;

    /** {@code clock} drives token expiry, {@code nanoTime} the pool's idle times: tests pass their own. */
    RelayClient(RelaySettings settings, DeliveryLog log, Clock clock, LongSupplier nanoTime) {
        this(settings, log, clock, nanoTime, CONNECTION_REUSE_TIME_LIMIT);
    }

    /** As above, with another connection reuse time limit: tests pass a short one. */
    RelayClient(RelaySettings settings, DeliveryLog log, Clock clock, LongSupplier nanoTime, Duration reuseTimeLimit) {
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.log = log;
        this.tls = TlsContext.create(settings.trust());
        this.session = MailSessionFactory.create(settings, tls);
        this.tokens = settings.authentication() instanceof Authentication.OAuth2 o
                ? new OAuth2TokenSource(o, settings.timeouts(), clock) : null;
        this.pool = new ConnectionPool(settings.maxConnections(), settings.idleTimeout().toNanos(), reuseTimeLimit.toNanos());
        long period = Math.max(1000, settings.idleTimeout().toMillis() / 2);
        this.janitorTask = JANITOR.scheduleWithFixedDelay(() -> pool.cleanup(nanoTime.getAsLong()), period, period, TimeUnit.MILLISECONDS);
    }

    /** A client with its own delivery log of {@value DeliveryLog#DEFAULT_CAPACITY} events. */
    public static RelayClient create(RelaySettings settings) {
        return create(settings, new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY));
    }

    /** A client recording to {@code log}, which an admin page can read. */
    public static RelayClient create(RelaySettings settings, DeliveryLog log) {
        return new RelayClient(settings, log, Clock.systemUTC(), System::nanoTime);
    }

    /**
     * Probes settings that are not in use yet (an unsaved form): nothing is pooled or kept.
     *
     * @param testRecipient where to send a test message, or null to stop after MAIL FROM (test connection)
     */
    public static ProbeReport probe(RelaySettings settings, MailAddress testRecipient) {
        TlsContext tls = TlsContext.create(settings.trust());
        OAuth2TokenSource tokens = settings.authentication() instanceof Authentication.OAuth2 o
                ? new OAuth2TokenSource(o, settings.timeouts(), Clock.systemUTC()) : null;
        return new RelayProbe(settings, tls, tokens, MailSessionFactory.create(settings, tls), testRecipient).run();
    }

    /** Probes this client's relay on a connection of its own, sharing the TLS context and token cache. */
    public ProbeReport probe(MailAddress testRecipient) {
        return new RelayProbe(settings, tls, tokens, session, testRecipient).run();
    }

    /**
     * Sends one message now, on a pooled connection, and waits for the relay's answer. In one SMTP transaction: with
     * {@link RelaySettings#verp()} on, a mail to one recipient goes out with a VERP envelope sender, a mail to several
     * with the plain one (only the queue sends one mail per recipient, {@link MailQueue}).
     *
     * @throws DeliveryException     when the relay did not take it, with category, reply and remedy
     * @throws InvalidInputException when the message cannot be sent with these settings (no From, UTF-8 off,
     *                               larger than {@code maxMessageBytes})
     */
    public Receipt send(OutboundMessage message) throws DeliveryException {
        return send(message, 1);
    }

    /** As {@link #send(OutboundMessage)}, logging the attempt number a retrying caller (the queue) passes. */
    public Receipt send(OutboundMessage message, int attempt) throws DeliveryException {
        settings.checkSize(message);
        long start = nanoTime.getAsLong();
        return send(message, MimeRenderer.render(message, settings, Instant.now()), attempt, start);
    }

    /**
     * As {@link #send(OutboundMessage, int)} with the message already rendered by {@link MimeRenderer} (the queue
     * renders once, at submit, and spools the bytes, so a retry never renders again).
     */
    public Receipt send(OutboundMessage message, byte[] rendered, int attempt) throws DeliveryException {
        long start = nanoTime.getAsLong();
        byte[] bytes = renderedFor(message, rendered);
        return send(message, bytes, attempt, start);
    }

    /**
     * Sends the mails {@code feed} gives on one pooled connection: the queue's backlog for this relay. Where the
     * relay offers PIPELINING, the mails are chained, one round trip per mail instead of two (the message of one,
     * its "." and the next one's MAIL, RCPT and DATA in one write; {@link RelayConnection#chain}), for as long as the
     * feed has mail, the connection stays in step and it is at most 300 s old (the connection reuse time limit: past
     * it, the chain ends after the mail under way and the connection is closed; the feed's next mail goes on a new
     * one). Elsewhere only the feed's first mail goes, exactly as {@link #send(OutboundMessage, byte[], int)} sends
     * it. Each mail's outcome goes to the feed and to the delivery log as {@code send} reports and logs it.
     * docs/architecture.md, "Chained mails".
     */
    public void sendChain(MailFeed feed) {
        MailFeed.Mail firstMail = feed.next();
        if (firstMail == null) {
            return;
        }
        Prepared first;
        try {
            first = prepare(firstMail, nanoTime.getAsLong());
        } catch (InvalidInputException e) {
            feed.invalid(firstMail, e);
            return;
        }
        Lease lease;
        try {
            lease = lease(first.start());
        } catch (DeliveryException e) {
            failed(feed, first, e);
            return;
        }
        try {
            if (!lease.connection.chains()) {
                try {
                    sent(feed, first, sendOn(lease, first.mail().message(), first.bytes(), first.mailFrom(), first.start()));
                } catch (DeliveryException e) {
                    failed(feed, first, e);
                }
                return;
            }
            Chain chain = new Chain(feed, lease.connection, first, lease.reused);
            lease.connection.chain(chain, settings, nanoTime.getAsLong());
            if (chain.retryFirst) {
                try {
                    reopen(lease);
                } catch (DeliveryException e) {
                    failed(feed, first, e);
                    return;
                }
                lease.connection.chain(new Chain(feed, lease.connection, first, false), settings, nanoTime.getAsLong());
            }
            lease.reusable = lease.connection.usable();
        } finally {
            release(lease);
        }
    }

    /** A mail of a chain, checked and rendered, with its MAIL FROM and the time it was taken. */
    private record Prepared(MailFeed.Mail mail, byte[] bytes, String mailFrom, long start) {
    }

    private Prepared prepare(MailFeed.Mail mail, long start) {
        OutboundMessage message = mail.message();
        return new Prepared(mail, renderedFor(message, mail.rendered()), mailFrom(message), start);
    }

    /** The bytes to send: {@code rendered} when it was rendered for these settings, else a new rendering. */
    private byte[] renderedFor(OutboundMessage message, byte[] rendered) {
        settings.checkSize(message);
        MimeRenderer.checkSendable(message, settings);
        return rendered != null && MimeRenderer.rendersFor(rendered, message, settings) ? rendered
                : MimeRenderer.render(message, settings, Instant.now());
    }

    private void sent(MailFeed feed, Prepared mail, Receipt receipt) {
        logSent(mail.mail().message(), receipt, mail.mail().attempt());
        feed.sent(mail.mail(), receipt);
    }

    private void failed(MailFeed feed, Prepared mail, DeliveryException e) {
        logFailed(mail.mail().message(), e, mail.mail().attempt(), mail.start());
        feed.failed(mail.mail(), e);
    }

    /**
     * The feed's mails as a chain on one connection: offers the first mail, then asks the feed; matches each outcome
     * to its mail (they come in order) and reports it. Holds at most the two mails a chain has in flight.
     */
    private final class Chain implements ChainedMails {
        private final MailFeed feed;
        private final RelayConnection connection;
        private final java.util.ArrayDeque<Prepared> inFlight = new java.util.ArrayDeque<>(2);
        private Prepared first;
        private boolean reused; // whether the connection carried mail before the next one reported
        private int taken;
        boolean retryFirst;

        Chain(MailFeed feed, RelayConnection connection, Prepared first, boolean reused) {
            this.feed = feed;
            this.connection = connection;
            this.first = first;
            this.reused = reused;
        }

        @Override
        public Envelope next() {
            while (true) {
                Prepared mail;
                if (first != null) {
                    mail = first;
                    first = null;
                } else {
                    if (!pool.withinReuseTimeLimit(connection, nanoTime.getAsLong())) {
                        // Past the reuse time limit: the chain ends after the mail under way, before the feed is
                        // asked, so no mail is taken and left unsent; the feed's next mail goes on a new connection.
                        return null;
                    }
                    MailFeed.Mail m = feed.next();
                    if (m == null) {
                        return null;
                    }
                    try {
                        mail = prepare(m, nanoTime.getAsLong());
                    } catch (InvalidInputException e) {
                        feed.invalid(m, e);
                        continue;
                    }
                }
                try {
                    checkUtf8(mail.mail().message(), connection);
                } catch (DeliveryException e) {
                    failed(feed, mail, e);
                    continue;
                }
                taken++;
                inFlight.addLast(mail);
                return new Envelope(mail.mailFrom(), mail.mail().message().recipients(), mail.bytes());
            }
        }

        @Override
        public void done(RelayConnection.Delivered delivered, DeliveryException failure) {
            Prepared mail = inFlight.pollFirst();
            boolean carriedMailBefore = reused;
            reused = true;
            if (failure != null) {
                if (taken == 1 && carriedMailBefore && failure.category() == FailureCategory.CONNECTION_LOST) {
                    retryFirst = true; // as send does: a pooled connection the relay dropped gets one more try
                    return;
                }
                failed(feed, mail, failure);
                return;
            }
            sent(feed, mail, new Receipt(mail.mail().message().messageId(), settings.relayName(), delivered.accepted(),
                    delivered.rejected(), delivered.finalReply(), Duration.ofNanos(nanoTime.getAsLong() - mail.start()),
                    carriedMailBefore));
        }
    }

    private String mailFrom(OutboundMessage message) {
        MailAddress envelopeFrom = settings.envelopeFrom() != null ? settings.envelopeFrom()
                : MimeRenderer.from(message, settings);
        return settings.verp() && message.recipients().size() == 1
                ? Verp.encode(envelopeFrom.address(), message.recipients().get(0).address()) : envelopeFrom.address();
    }

    private Receipt send(OutboundMessage message, byte[] rendered, int attempt, long start) throws DeliveryException {
        try {
            Receipt receipt = deliver(message, rendered, mailFrom(message), start);
            logSent(message, receipt, attempt);
            return receipt;
        } catch (DeliveryException e) {
            logFailed(message, e, attempt, start);
            throw e;
        }
    }

    private void logSent(OutboundMessage message, Receipt receipt, int attempt) {
        log.record(new DeliveryEvent(Instant.now(), receipt.rejected().isEmpty() ? DeliveryEvent.Outcome.SENT
                : DeliveryEvent.Outcome.PARTIALLY_SENT, message.messageId(), settings.relayName(),
                masked(message), null, maskText(receipt.finalReply().toString()), attempt,
                receipt.duration().toMillis(), receipt.rejected().isEmpty() ? "" : receipt.rejected().size() + " recipient(s) refused"));
    }

    private void logFailed(OutboundMessage message, DeliveryException e, int attempt, long start) {
        log.record(new DeliveryEvent(Instant.now(), DeliveryEvent.Outcome.FAILED, message.messageId(), settings.relayName(),
                masked(message), e.category(), e.reply().map(r -> maskText(r.toString())).orElse(""), attempt,
                (nanoTime.getAsLong() - start) / 1_000_000, e.remedy()));
    }

    private Receipt deliver(OutboundMessage message, byte[] rendered, String mailFrom, long start)
            throws DeliveryException {
        Lease lease = lease(start);
        try {
            return sendOn(lease, message, rendered, mailFrom, start);
        } finally {
            release(lease);
        }
    }

    /**
     * A connection taken from the pool, or opened in its slot; {@code reused} when it carried mail before,
     * {@code reusable} when it may go back to the pool for the next mail.
     */
    private static final class Lease {
        RelayConnection connection;
        boolean reused;
        boolean reusable;
    }

    /** Gives the lease's slot back: its connection to the pool when it is reusable, else closed. */
    private void release(Lease lease) {
        pool.release(lease.connection, lease.reusable, nanoTime.getAsLong());
    }

    /** The relay dropped a pooled connection without telling us: a fresh one in its slot. */
    private void reopen(Lease lease) throws DeliveryException {
        lease.connection.close();
        lease.connection = null;
        lease.reused = false;
        lease.connection = open();
    }

    /** A pooled connection that answers (a NOOP after a second idle) or a new one; the slot is the caller's to release. */
    private Lease lease(long start) throws DeliveryException {
        Lease lease = new Lease();
        lease.connection = acquire(start);
        lease.reused = lease.connection != null;
        try {
            if (lease.reused && lease.connection.idleNanos(nanoTime.getAsLong()) > LIVENESS_CHECK_AFTER.toNanos()
                    && !lease.connection.isAlive()) {
                lease.connection.close();
                lease.connection = null;
                lease.reused = false;
            }
            if (lease.connection == null) {
                lease.connection = open();
            }
            return lease;
        } catch (DeliveryException | RuntimeException e) {
            pool.release(lease.connection, false, nanoTime.getAsLong());
            throw e;
        }
    }

    /**
     * Sends one mail on the lease and notes whether its connection can carry the next; a pooled connection the relay
     * dropped gets one more try on a fresh one.
     */
    private Receipt sendOn(Lease lease, OutboundMessage message, byte[] rendered, String mailFrom, long start)
            throws DeliveryException {
        RelayConnection.Delivered delivered;
        try {
            delivered = sendOnce(lease, message, rendered, mailFrom);
        } catch (DeliveryException e) {
            lease.reusable = lease.connection != null && lease.connection.usable() && keepsConnectionUsable(e);
            throw e;
        }
        lease.reusable = lease.connection.usable();
        return new Receipt(message.messageId(), settings.relayName(), delivered.accepted(), delivered.rejected(),
                delivered.finalReply(), Duration.ofNanos(nanoTime.getAsLong() - start), lease.reused);
    }

    private RelayConnection.Delivered sendOnce(Lease lease, OutboundMessage message, byte[] rendered, String mailFrom)
            throws DeliveryException {
        checkUtf8(message, lease.connection);
        try {
            return lease.connection.send(rendered, mailFrom, message.recipients(), settings, nanoTime.getAsLong());
        } catch (DeliveryException e) {
            if (!lease.reused || e.category() != FailureCategory.CONNECTION_LOST) {
                throw e;
            }
            reopen(lease);
            return lease.connection.send(rendered, mailFrom, message.recipients(), settings, nanoTime.getAsLong());
        }
    }

    private RelayConnection acquire(long start) throws DeliveryException {
        long wait = settings.timeouts().connect().plus(settings.timeouts().read()).toNanos();
        try {
            return pool.acquire(wait, start);
        } catch (ConnectionPool.PoolExhaustedException e) {
            throw new FailureClassifier.Failure(SmtpStep.TCP, FailureCategory.TIMEOUT, true, null, e.getMessage())
                    .toException(settings.relayName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FailureClassifier.Failure(SmtpStep.TCP, FailureCategory.TIMEOUT, true, null,
                    "interrupted while waiting for a connection").toException(settings.relayName(), e);
        }
    }

    private RelayConnection open() throws DeliveryException {
        return RelayConnection.open(session, settings, tls, tokens, nanoTime.getAsLong());
    }

    private void checkUtf8(OutboundMessage message, RelayConnection connection) throws DeliveryException {
        if (message.needsUtf8() && !connection.supportsSmtpUtf8()) {
            throw new FailureClassifier.Failure(SmtpStep.MAIL_FROM, FailureCategory.MESSAGE_REJECTED, false, null,
                    "the message has a non-ASCII address and the relay does not offer SMTPUTF8")
                    .toException(settings.relayName(), null);
        }
    }

    /** After a refused sender, recipient or message, RSET was sent: the connection can take the next mail. */
    private static boolean keepsConnectionUsable(DeliveryException e) {
        return e.reply().isPresent() && !e.reply().get().closesConnection()
                && switch (e.category()) {
                    case SENDER_REJECTED, RECIPIENT_REJECTED, RELAY_DENIED, MESSAGE_REJECTED -> true;
                    default -> false;
                };
    }

    private List<String> masked(OutboundMessage message) {
        return Redaction.recipients(message.recipients().stream().map(MailAddress::address).toList(), settings.maskRecipients());
    }

    private String maskText(String text) {
        return Redaction.text(text, settings.maskRecipients());
    }

    ConnectionPool pool() {
        return pool;
    }

    public RelaySettings settings() {
        return settings;
    }

    public DeliveryLog deliveryLog() {
        return log;
    }

    /** Open connections waiting for the next mail. */
    public int idleConnections() {
        return pool.idleCount();
    }

    /** Closes every pooled connection. Sends still running finish on their connection, which is then closed. */
    @Override
    public void close() {
        janitorTask.cancel(false);
        pool.close();
    }
}
