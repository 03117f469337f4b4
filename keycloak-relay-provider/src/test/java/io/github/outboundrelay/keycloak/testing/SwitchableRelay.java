package io.github.outboundrelay.keycloak.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real STARTTLS + AUTH relay on one fixed loopback port that a test switches between three states: down (nothing
 * listens), holding (it takes each mail whole, then keeps its "250 OK" until switched up: a relay that accepted the
 * mail while its sender died) and up. It records the Message-ID, content and arrival time of every mail it took, and refuses
 * recipients whose local part starts with {@code bounce} with a permanent 550.
 */
public final class SwitchableRelay implements AutoCloseable {
    /** A mail the relay took whole: its Message-ID, when ({@link System#nanoTime()}), and the message as sent. */
    public record Arrival(String messageId, long nanos, String content) {
    }

    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>\\r\\n]+>)");

    private final SSLContext tls;
    private final String user;
    private final String password;
    private final int port;
    private final List<Arrival> arrivals = new ArrayList<>(); // guarded by itself
    private final AtomicInteger held = new AtomicInteger();
    private SMTPServer server;            // guarded by this
    private CountDownLatch hold;          // guarded by this

    private SwitchableRelay(SSLContext tls, String user, String password, int port) {
        this.tls = tls;
        this.user = user;
        this.password = password;
        this.port = port;
    }

    /** A relay that is down, on a port free now. */
    public static SwitchableRelay down(SSLContext tls, String user, String password) throws IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new SwitchableRelay(tls, user, password, reserve.getLocalPort());
        }
    }

    public int port() {
        return port;
    }

    /** Listens, and answers every mail at once; mail being held is answered now. */
    public synchronized void up() {
        release();
        listen();
    }

    /** Listens, takes each mail whole and holds its answer until {@link #up()} or {@link #close()}. */
    public synchronized void holding() {
        if (hold == null) {
            hold = new CountDownLatch(1);
        }
        listen();
    }

    /** Mail taken whole and not answered yet. */
    public int held() {
        return held.get();
    }

    public List<Arrival> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    /** Waits until {@code count} mails arrived (copies included). @throws AssertionError on timeout */
    public List<Arrival> awaitArrivals(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrivals) {
            while (arrivals.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " mail(s) within " + timeout + ", got " + arrivals.size());
                }
                arrivals.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(arrivals);
        }
    }

    @Override
    public synchronized void close() {
        release();
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    private void listen() {
        if (server != null) {
            return;
        }
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
                .messageHandlerFactory(Receiver::new)
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

    private final class Receiver implements MessageHandler {
        Receiver(MessageContext context) {
        }

        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (recipient.toLowerCase(java.util.Locale.ROOT).startsWith("bounce")) {
                throw new RejectException(550, "5.1.1 Recipient address rejected: User unknown in virtual mailbox table");
            }
        }

        @Override
        public String data(InputStream data) throws IOException {
            String content = new String(data.readAllBytes(), StandardCharsets.UTF_8);
            Matcher id = MESSAGE_ID.matcher(content);
            synchronized (arrivals) {
                arrivals.add(new Arrival(id.find() ? id.group(1) : "(none)", System.nanoTime(), content));
                arrivals.notifyAll();
            }
            CountDownLatch latch = currentHold();
            if (latch != null) {
                held.incrementAndGet();
                try {
                    latch.await(5, TimeUnit.MINUTES);
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
