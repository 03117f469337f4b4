package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.demo.SelfSignedCertificate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real SMTP relay on a fixed loopback port (STARTTLS and AUTH required, as {@link LoopbackRelayForTests}) that a
 * test can take down and bring back on the same port, and that refuses chosen recipients with a permanent
 * {@code 550 5.1.1}: what the durable-queue tests need and relay-common's demo relay does not do.
 */
final class SwitchableRelayForTests implements AutoCloseable {
    static final String USER = LoopbackRelayForTests.USER;
    static final String PASSWORD = LoopbackRelayForTests.PASSWORD;

    /** A mail as the relay received it. */
    record Mail(List<String> recipients, String content) {
    }

    final SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
    final int port;
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final List<Mail> received = new ArrayList<>(); // guarded by itself
    private SMTPServer server; // guarded by this
    private volatile java.util.concurrent.CountDownLatch dataHold; // null: answer DATA at once
    private final java.util.concurrent.Semaphore held = new java.util.concurrent.Semaphore(0);

    /** Down until {@link #start()}: the port is free now, nothing listens on it. */
    SwitchableRelayForTests() {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized SwitchableRelayForTests start() {
        if (server == null) {
            EasyAuthenticationHandlerFactory auth = new EasyAuthenticationHandlerFactory((user, pass, context) -> {
                if (!USER.equals(user) || !PASSWORD.equals(pass)) {
                    throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
                }
            });
            server = SMTPServer.port(port)
                    .bindAddress(InetAddress.getLoopbackAddress())
                    .hostName("localhost")
                    .authenticationHandlerFactory(auth)
                    .requireAuth()
                    .startTlsSocketFactory(certificate.serverContext()).enableTLS().requireTLS()
                    .messageHandlerFactory(context -> new Collector())
                    .build();
            server.start();
        }
        return this;
    }

    /** Takes the relay down: new connections are refused until {@link #start()}. */
    synchronized void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    /** From now on RCPT TO this address gets {@code 550 5.1.1 ... user unknown}. */
    void refuse(String address) {
        refused.add(address);
    }

    void accept(String address) {
        refused.remove(address);
    }

    List<Mail> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Waits until at least {@code count} mails arrived; returns them. */
    List<Mail> awaitMessages(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (received.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " mail(s) within " + timeout + ", got " + received.size());
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(received);
        }
    }

    /** Holds the answer to each DATA (the mail received) until {@link #releaseData}: a slow relay. */
    void holdData() {
        dataHold = new java.util.concurrent.CountDownLatch(1);
    }

    void releaseData() {
        java.util.concurrent.CountDownLatch hold = dataHold;
        dataHold = null;
        if (hold != null) {
            hold.countDown();
        }
    }

    /** Waits until a sender waits for the answer to its DATA. */
    void awaitHeldData(Duration timeout) throws InterruptedException {
        if (!held.tryAcquire(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            throw new AssertionError("no mail reached the end of DATA within " + timeout);
        }
    }

    @Override
    public void close() {
        releaseData();
        stop();
    }

    private final class Collector implements MessageHandler {
        private final List<String> recipients = new ArrayList<>();

        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (refused.contains(recipient)) {
                throw new RejectException(550, "5.1.1 <" + recipient + ">: Recipient address rejected: user unknown");
            }
            recipients.add(recipient);
        }

        @Override
        public String data(java.io.InputStream data) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            data.transferTo(out);
            synchronized (received) {
                received.add(new Mail(List.copyOf(recipients), out.toString(StandardCharsets.UTF_8)));
                received.notifyAll();
            }
            java.util.concurrent.CountDownLatch hold = dataHold;
            if (hold != null) {
                held.release();
                try {
                    hold.await(); // The mail is the relay's; its "250" is late.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return null;
        }

        @Override
        public void done() {
        }
    }
}
