package io.github.outboundrelay.keycloak.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real STARTTLS + AUTH relay on loopback that takes {@code delay} to answer the end of each message, like a relay
 * under load or tarpitting. What the tests of "the login request does not wait for the relay" need; relay-common's
 * EmbeddedRelay answers at once.
 */
public final class SlowRelay implements AutoCloseable {
    private final SMTPServer server;
    private final Duration delay;
    private final List<String> received = new ArrayList<>(); // guarded by itself

    private SlowRelay(SSLContext tls, String user, String password, Duration delay, int port) {
        this.delay = delay;
        server = SMTPServer.port(port)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("localhost")
                .startTlsSocketFactory(tls).enableTLS().requireTLS()
                .authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((u, p, context) -> {
                    if (!user.equals(u) || !password.equals(p)) {
                        throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
                    }
                }))
                .requireAuth()
                .messageHandlerFactory(Collector::new)
                .build();
        server.start();
    }

    public static SlowRelay start(SSLContext tls, String user, String password, Duration delay) {
        return new SlowRelay(tls, user, password, delay, 0);
    }

    /** On a given port: to bring a relay "back" where Keycloak expects it. */
    public static SlowRelay startOnPort(SSLContext tls, String user, String password, Duration delay, int port) {
        return new SlowRelay(tls, user, password, delay, port);
    }

    public int port() {
        return server.getPortAllocated();
    }

    public List<String> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Waits until {@code count} mails arrived. @throws AssertionError on timeout */
    public List<String> awaitMessages(int count, Duration timeout) throws InterruptedException {
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

    @Override
    public void close() {
        server.stop();
    }

    private final class Collector implements MessageHandler {
        Collector(MessageContext context) {
        }

        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) {
        }

        @Override
        public String data(InputStream data) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            data.transferTo(out);
            try {
                Thread.sleep(delay.toMillis()); // the slow part: the relay holds its "250 OK"
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            synchronized (received) {
                received.add(out.toString(StandardCharsets.UTF_8));
                received.notifyAll();
            }
            return null;
        }

        @Override
        public void done() {
        }
    }
}
