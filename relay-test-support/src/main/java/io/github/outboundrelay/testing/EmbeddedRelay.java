package io.github.outboundrelay.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * A real SMTP relay on a loopback port that requires STARTTLS and AUTH, and keeps what it receives: what
 * {@code relay demo} sends through, and what every module's tests deliver to.
 *
 * <p>A test can switch it between three states on one port: down (nothing listens, connections are refused),
 * holding (it takes each mail whole, then keeps its final "250" until switched up: a relay that accepted the mail
 * while its sender died) and up. It can also be slow, and refuse chosen recipients with a permanent 550.
 *
 * <pre>{@code
 * try (EmbeddedRelay relay = EmbeddedRelay.start(cert.serverContext(), "user", "secret")) {
 *     ... send to 127.0.0.1:relay.port() ...
 *     relay.awaitMessages(1, Duration.ofSeconds(10));
 * }
 * EmbeddedRelay later = EmbeddedRelay.builder(cert.serverContext(), "user", "secret").down(); // then up(), down(), holding()
 * }</pre>
 */
public final class EmbeddedRelay implements AutoCloseable {
    /** A mail as the relay received it, and when ({@link System#nanoTime()}). */
    public record ReceivedMail(String envelopeFrom, List<String> recipients, byte[] data, long arrivedNanos) {
        private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>\\r\\n]+>)");

        public String content() {
            return new String(data, StandardCharsets.UTF_8);
        }

        /** The Message-ID header's value with its angle brackets, or "(none)". */
        public String messageId() {
            Matcher id = MESSAGE_ID.matcher(content());
            return id.find() ? id.group(1) : "(none)";
        }
    }

    /** The reply to a refused recipient, as Postfix words it. */
    public static final String REFUSAL = "5.1.1 Recipient address rejected: User unknown in virtual mailbox table";

    private final SSLContext tls;
    private final String username;
    private final String password;
    private final int port;
    private final Duration delayPerMessage;
    private final Predicate<String> refused;
    private final Set<String> refusedAddresses = ConcurrentHashMap.newKeySet();
    private final AtomicInteger held = new AtomicInteger();
    private SMTPServer server;   // guarded by this; null while down
    private CountDownLatch hold; // guarded by this; null unless holding
    private final List<ReceivedMail> received = new ArrayList<>(); // guarded by itself
    private final List<String> refusals = new ArrayList<>(); // guarded by received
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger authFailures = new AtomicInteger();

    private EmbeddedRelay(Builder options, int port) {
        this.tls = options.tls;
        this.username = options.username;
        this.password = options.password;
        this.delayPerMessage = options.delayPerMessage;
        this.refused = options.refused;
        this.port = port;
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

        /** Listening and answering at once. */
        public EmbeddedRelay start() {
            EmbeddedRelay relay = new EmbeddedRelay(this, port);
            relay.up();
            return relay;
        }

        /** Down until {@link #up()}: on the port given, or on a port free now that nothing listens on. */
        public EmbeddedRelay down() {
            return new EmbeddedRelay(this, port != 0 ? port : freePort());
        }
    }

    public synchronized int port() {
        return server != null ? server.getPortAllocated() : port;
    }

    /** Listens (again, on the same port) and answers every mail at once; mail being held is answered now. */
    public synchronized EmbeddedRelay up() {
        release();
        listen();
        return this;
    }

    /** Listens, takes each mail whole and holds its final reply until {@link #up()}, {@link #down()} or {@link #close()}. */
    public synchronized EmbeddedRelay holding() {
        if (hold == null) {
            hold = new CountDownLatch(1);
        }
        listen();
        return this;
    }

    /** Stops listening and drops every connection: new connections are refused until {@link #up()}. */
    public synchronized void down() {
        release();
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /** Mail taken whole whose final reply is being held. */
    public int held() {
        return held.get();
    }

    /** From now on RCPT TO this address gets a permanent {@code 550 }{@value #REFUSAL}. */
    public void refuse(String address) {
        refusedAddresses.add(address.toLowerCase(Locale.ROOT));
    }

    /** Takes this address again after {@link #refuse}. */
    public void accept(String address) {
        refusedAddresses.remove(address.toLowerCase(Locale.ROOT));
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
        return Poll.untilCount(received, refusals, count, timeout, "refusal(s)");
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
        return Poll.untilCount(received, received, count, timeout, "mail(s)");
    }

    @Override
    public void close() {
        down();
    }

    private void listen() {
        if (server != null) {
            return;
        }
        // A stopped SMTPServer cannot start again: each time up is a new one on the same port.
        EasyAuthenticationHandlerFactory auth = new EasyAuthenticationHandlerFactory((user, pass, context) -> {
            if (!username.equals(user) || !password.equals(pass)) {
                authFailures.incrementAndGet();
                throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
            }
        });
        server = SMTPServer.port(port)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("localhost")
                .softwareName("Outbound Relay demo relay")
                .authenticationHandlerFactory(auth)
                .requireAuth()
                .sessionHandler(new CountingSessions())
                .messageHandlerFactory(Collector::new)
                .startTlsSocketFactory(tls).enableTLS().requireTLS()
                .build();
        server.start();
    }

    private void release() {
        if (hold != null) {
            hold.countDown();
            hold = null;
        }
    }

    private synchronized CountDownLatch currentHold() {
        return hold;
    }

    private static int freePort() {
        try (ServerSocket reserve = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
            if (refused.test(recipient) || refusedAddresses.contains(recipient.toLowerCase(Locale.ROOT))) {
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
                received.add(new ReceivedMail(from, List.copyOf(recipients), out.toByteArray(), System.nanoTime()));
                received.notifyAll();
            }
            CountDownLatch latch = currentHold();
            if (latch != null) {
                held.incrementAndGet();
                try {
                    latch.await(5, TimeUnit.MINUTES); // Bounded: a test that forgets to release still ends.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    held.decrementAndGet();
                }
            }
            return null;
        }

        @Override
        public void done() {
        }
    }
}
