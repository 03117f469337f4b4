package io.github.outboundrelay.keycloak.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real STARTTLS + AUTH relay on loopback that takes the connection, the credentials and the sender, then refuses
 * every recipient permanently ({@value #REPLY}), as a relay does for a mailbox that does not exist: what makes a dead
 * letter.
 */
public final class RefusingRelay implements AutoCloseable {
    public static final String REPLY = "5.1.1 Recipient address rejected: User unknown in virtual mailbox table";

    private final SMTPServer server;
    private final List<String> refused = new ArrayList<>(); // guarded by itself

    private RefusingRelay(SSLContext tls, String user, String password) {
        server = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("localhost")
                .startTlsSocketFactory(tls).enableTLS().requireTLS()
                .authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((u, p, context) -> {
                    if (!user.equals(u) || !password.equals(p)) {
                        throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
                    }
                }))
                .requireAuth()
                .messageHandlerFactory(Refuser::new)
                .build();
        server.start();
    }

    public static RefusingRelay start(SSLContext tls, String user, String password) {
        return new RefusingRelay(tls, user, password);
    }

    public int port() {
        return server.getPortAllocated();
    }

    /** The recipients refused so far, one entry per RCPT TO. */
    public List<String> refused() {
        synchronized (refused) {
            return List.copyOf(refused);
        }
    }

    /** Waits until {@code count} recipients were refused. @throws AssertionError on timeout */
    public List<String> awaitRefusals(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (refused) {
            while (refused.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " refused recipient(s) within " + timeout + ", got " + refused.size());
                }
                refused.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(refused);
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    private final class Refuser implements MessageHandler {
        Refuser(MessageContext context) {
        }

        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            synchronized (refused) {
                refused.add(recipient);
                refused.notifyAll();
            }
            throw new RejectException(550, REPLY);
        }

        @Override
        public String data(InputStream data) throws IOException {
            data.transferTo(java.io.OutputStream.nullOutputStream()); // never reached: every recipient is refused
            return null;
        }

        @Override
        public void done() {
        }
    }
}
