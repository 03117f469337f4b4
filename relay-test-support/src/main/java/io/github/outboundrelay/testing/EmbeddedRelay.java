package io.github.outboundrelay.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * A real SMTP relay on a free loopback port that requires STARTTLS and AUTH, and keeps what it receives: what
 * {@code relay demo} sends through, and what the tests deliver to.
 *
 * <pre>{@code
 * try (EmbeddedRelay relay = EmbeddedRelay.start(cert.serverContext(), "user", "secret")) {
 *     ... send to 127.0.0.1:relay.port() ...
 *     relay.awaitMessages(1, Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class EmbeddedRelay implements AutoCloseable {
    /** A mail as the relay received it. */
    public record ReceivedMail(String envelopeFrom, List<String> recipients, byte[] data) {
        public String content() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** The reply to a refused recipient, as Postfix words it. */
    public static final String REFUSAL = "5.1.1 Recipient address rejected: User unknown in virtual mailbox table";

    private final SMTPServer server;
    private final Duration delayPerMessage;
    private final Predicate<String> refused;
    private final List<ReceivedMail> received = new ArrayList<>(); // guarded by itself
    private final List<String> refusals = new ArrayList<>(); // guarded by received
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger authFailures = new AtomicInteger();

    private EmbeddedRelay(SSLContext tls, String username, String password, int port, Duration delayPerMessage,
                          Predicate<String> refused) {
        this.delayPerMessage = delayPerMessage;
        this.refused = refused;
        EasyAuthenticationHandlerFactory auth = new EasyAuthenticationHandlerFactory((user, pass, context) -> {
            if (!username.equals(user) || !password.equals(pass)) {
                authFailures.incrementAndGet();
                throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
            }
        });
        SMTPServer.Builder builder = SMTPServer.port(port)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("localhost")
                .softwareName("Outbound Relay demo relay")
                .authenticationHandlerFactory(auth)
                .requireAuth()
                .sessionHandler(new CountingSessions())
                .messageHandlerFactory(Collector::new)
                .startTlsSocketFactory(tls).enableTLS().requireTLS();
        server = builder.build();
        server.start();
    }

    /** STARTTLS required, AUTH PLAIN/LOGIN required with these credentials; answers at once, on a free port. */
    public static EmbeddedRelay start(SSLContext tls, String username, String password) {
        return builder(tls, username, password).start();
    }

    /** For a relay that is slow, refuses recipients, or comes back on a given port. */
    public static Builder builder(SSLContext tls, String username, String password) {
        return new Builder(tls, username, password);
    }

    /** Options of a test relay; each has the default a healthy relay has. */
    public static final class Builder {
        private final SSLContext tls;
        private final String username;
        private final String password;
        private int port;
        private Duration delayPerMessage = Duration.ZERO;
        private Predicate<String> refused = recipient -> false;

        private Builder(SSLContext tls, String username, String password) {
            this.tls = tls;
            this.username = username;
            this.password = password;
        }

        /** Listens on this port, to bring a relay "back" where a client expects it; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Holds each mail's final reply this long: a relay under load, or tarpitting. */
        public Builder delayPerMessage(Duration delay) {
            this.delayPerMessage = delay;
            return this;
        }

        /** Refuses matching recipients with a permanent {@code 550 }{@value #REFUSAL}. */
        public Builder refuseRecipients(Predicate<String> refused) {
            this.refused = refused;
            return this;
        }

        public EmbeddedRelay start() {
            return new EmbeddedRelay(tls, username, password, port, delayPerMessage, refused);
        }
    }

    public int port() {
        return server.getPortAllocated();
    }

    /** TCP connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Recipients refused so far, in order. */
    public List<String> refusals() {
        synchronized (received) {
            return List.copyOf(refusals);
        }
    }

    /** Waits until at least {@code count} recipients were refused. @throws IllegalStateException on timeout */
    public List<String> awaitRefusals(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (refusals.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + count + " refusal(s) within " + timeout + ", got " + refusals.size());
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(refusals);
        }
    }

    public int authFailures() {
        return authFailures.get();
    }

    public List<ReceivedMail> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Waits until at least {@code count} mails arrived; returns them. @throws IllegalStateException on timeout */
    public List<ReceivedMail> awaitMessages(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (received.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + count + " mail(s) within " + timeout + ", got " + received.size());
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(received);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    private final class CountingSessions implements SessionHandler {
        @Override
        public SessionAcceptance accept(Session session) {
            connections.incrementAndGet();
            return SessionAcceptance.success();
        }

        @Override
        public void onSessionEnd(Session session) {
        }
    }

    private final class Collector implements MessageHandler {
        private String from;
        private final List<String> recipients = new ArrayList<>();

        Collector(MessageContext context) {
        }

        @Override
        public void from(String from) throws RejectException {
            this.from = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (refused.test(recipient)) {
                synchronized (received) {
                    refusals.add(recipient);
                    received.notifyAll();
                }
                throw new RejectException(550, REFUSAL);
            }
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            data.transferTo(out);
            if (!delayPerMessage.isZero()) {
                try {
                    Thread.sleep(delayPerMessage.toMillis()); // The point of a slow relay: the reply is late.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (received) {
                received.add(new ReceivedMail(from, List.copyOf(recipients), out.toByteArray()));
                received.notifyAll();
            }
            return null;
        }

        @Override
        public void done() {
        }
    }
}
