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
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.log = log;
        this.tls = TlsContext.create(settings.trust());
        this.session = MailSessionFactory.create(settings, tls);
        this.tokens = settings.authentication() instanceof Authentication.OAuth2 o
                ? new OAuth2TokenSource(o, settings.timeouts(), clock) : null;
        this.pool = new ConnectionPool(settings.maxConnections(), settings.idleTimeout().toNanos());
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
     * Sends one message now, on a pooled connection, and waits for the relay's answer.
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
        settings.checkSize(message);
        MimeRenderer.checkSendable(message, settings);
        long start = nanoTime.getAsLong();
        byte[] bytes = rendered != null && MimeRenderer.rendersFor(rendered, message, settings) ? rendered
                : MimeRenderer.render(message, settings, Instant.now());
        return send(message, bytes, attempt, start);
    }

    private Receipt send(OutboundMessage message, byte[] rendered, int attempt, long start) throws DeliveryException {
        MailAddress envelopeFrom = settings.envelopeFrom() != null ? settings.envelopeFrom()
                : MimeRenderer.from(message, settings);
        String mailFrom = settings.verp() && message.recipients().size() == 1
                ? Verp.encode(envelopeFrom.address(), message.recipients().get(0).address()) : envelopeFrom.address();
        try {
            Receipt receipt = deliver(message, rendered, mailFrom, start);
            log.record(new DeliveryEvent(Instant.now(), receipt.rejected().isEmpty() ? DeliveryEvent.Outcome.SENT
                    : DeliveryEvent.Outcome.PARTIALLY_SENT, message.messageId(), settings.relayName(),
                    masked(message), null, maskText(receipt.finalReply().toString()), attempt,
                    receipt.duration().toMillis(), receipt.rejected().isEmpty() ? "" : receipt.rejected().size() + " recipient(s) refused"));
            return receipt;
        } catch (DeliveryException e) {
            log.record(new DeliveryEvent(Instant.now(), DeliveryEvent.Outcome.FAILED, message.messageId(), settings.relayName(),
                    masked(message), e.category(), e.reply().map(r -> maskText(r.toString())).orElse(""), attempt,
                    (nanoTime.getAsLong() - start) / 1_000_000, e.remedy()));
            throw e;
        }
    }

    private Receipt deliver(OutboundMessage message, byte[] rendered, String mailFrom, long start)
            throws DeliveryException {
        RelayConnection connection = acquire(start);
        boolean reused = connection != null;
        boolean reusable = false;
        try {
            if (reused && connection.idleNanos(nanoTime.getAsLong()) > LIVENESS_CHECK_AFTER.toNanos() && !connection.isAlive()) {
                connection.close();
                connection = null;
                reused = false;
            }
            if (connection == null) {
                connection = open();
            }
            checkUtf8(message, connection);
            RelayConnection.Delivered delivered;
            try {
                delivered = connection.send(rendered, mailFrom, message.recipients(), settings, nanoTime.getAsLong());
            } catch (DeliveryException e) {
                if (!reused || e.category() != FailureCategory.CONNECTION_LOST) {
                    throw e;
                }
                // The relay dropped a pooled connection without telling us: one more try on a fresh one.
                connection.close();
                connection = null;
                connection = open();
                reused = false;
                delivered = connection.send(rendered, mailFrom, message.recipients(), settings, nanoTime.getAsLong());
            }
            reusable = connection.usable();
            return new Receipt(message.messageId(), settings.relayName(), delivered.accepted(), delivered.rejected(),
                    delivered.finalReply(), Duration.ofNanos(nanoTime.getAsLong() - start), reused);
        } catch (DeliveryException e) {
            reusable = connection != null && connection.usable() && keepsConnectionUsable(e);
            throw e;
        } finally {
            pool.release(connection, reusable, nanoTime.getAsLong());
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
