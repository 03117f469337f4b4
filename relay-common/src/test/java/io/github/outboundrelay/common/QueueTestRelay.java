package io.github.outboundrelay.common;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real SMTP server on a loopback port whose replies the queue tests script: 4xx or 5xx at any step, 535 at AUTH,
 * or {@link #DROP}: take the mail and close the connection before answering. It can be stopped (connections then
 * refused) and started again on the same port, and it keeps the mail it accepted. Plaintext, so it needs
 * {@code allowCredentialsOverPlaintext}: STARTTLS is covered by the EmbeddedRelay tests.
 */
public final class QueueTestRelay implements AutoCloseable {
    public enum Step { GREETING, AUTH, MAIL, RCPT, DATA }

    /** Instead of a reply: close the connection. After DATA the mail counts as received (accepted, reply lost). */
    static final String DROP = "DROP";

    public record Received(String messageId, List<String> recipients, String data) {
    }

    private final int port;
    private final Map<Step, Deque<String>> once = new EnumMap<>(Step.class);   // guarded by this
    private final Map<Step, String> always = new EnumMap<>(Step.class);        // guarded by this
    private final Map<Step, AtomicInteger> commands = new EnumMap<>(Step.class);
    private final List<Received> received = new ArrayList<>();                 // guarded by itself
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger maxSessions = new AtomicInteger();
    private volatile long dataDelayMillis;
    private volatile java.util.concurrent.CountDownLatch dataHold;                // null: answer at once
    private final java.util.concurrent.Semaphore heldReplies = new java.util.concurrent.Semaphore(0);
    private volatile ServerSocket server;

    private QueueTestRelay(int port) throws IOException {
        for (Step s : Step.values()) {
            once.put(s, new ArrayDeque<>());
            commands.put(s, new AtomicInteger());
        }
        this.port = listen(port);
    }

    public static QueueTestRelay start() throws IOException {
        return new QueueTestRelay(0);
    }

    public int port() {
        return port;
    }

    /** Settings for this relay: plaintext, password AUTH, short timeouts. */
    public RelaySettings settings() {
        return RelaySettings.builder()
                .host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .authentication(Authentication.password("queue-test", Secret.of("queue-test-pw")))
                .allowCredentialsOverPlaintext(true)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .build();
    }

    /** The next replies at {@code step}, one per command, before the default (or the {@link #always} reply). */
    public synchronized void reply(Step step, String... replies) {
        once.get(step).addAll(List.of(replies));
    }

    /** Every reply at {@code step} from now on; null restores the default. */
    public synchronized void always(Step step, String reply) {
        if (reply == null) {
            always.remove(step);
        } else {
            always.put(step, reply);
        }
    }

    /** Waits this long before answering the end of DATA: a slow relay. */
    public void dataDelay(Duration delay) {
        dataDelayMillis = delay.toMillis();
    }

    /**
     * Holds every answer to the end of DATA, the mail received, until {@link #releaseData}: a send blocked in socket
     * I/O for as long as the test wants. {@link #awaitHeldData} tells when a sender is waiting there.
     */
    public void holdData() {
        dataHold = new java.util.concurrent.CountDownLatch(1);
    }

    /** Answers the held DATA commands (and later ones at once). */
    public void releaseData() {
        java.util.concurrent.CountDownLatch hold = dataHold;
        dataHold = null;
        if (hold != null) {
            hold.countDown();
        }
    }

    /** Waits until {@code count} DATA answers are held. */
    public void awaitHeldData(int count, Duration timeout) throws InterruptedException {
        if (!heldReplies.tryAcquire(count, timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            throw new AssertionError("no send reached the end of DATA within " + timeout);
        }
    }

    public int commands(Step step) {
        return commands.get(step).get();
    }

    public int connections() {
        return connections.get();
    }

    /** The most connections that were open at the same time. */
    public int maxConcurrentConnections() {
        return maxSessions.get();
    }

    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    public List<String> messageIds() {
        return received().stream().map(Received::messageId).toList();
    }

    public List<Received> awaitReceived(int count, Duration timeout) throws InterruptedException {
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

    /** Closes the listener and every connection: the relay is down, connections are refused. */
    public void stop() {
        ServerSocket s = server;
        server = null;
        if (s != null) {
            closeQuietly(s);
        }
        open.forEach(QueueTestRelay::closeQuietly);
    }

    /** Listens again on the same port. */
    public void restart() throws IOException {
        listen(port);
    }

    @Override
    public void close() {
        releaseData();
        stop();
    }

    private int listen(int wanted) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 50);
        server = s;
        Thread acceptor = new Thread(() -> acceptLoop(s), "queue-test-relay-" + s.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        return s.getLocalPort();
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket socket = s.accept();
                connections.incrementAndGet();
                open.add(socket);
                Thread t = new Thread(() -> serve(socket), "queue-test-relay-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private synchronized String scripted(Step step, String fallback) {
        commands.get(step).incrementAndGet();
        String next = once.get(step).poll();
        if (next != null) {
            return next;
        }
        return always.getOrDefault(step, fallback);
    }

    private void serve(Socket socket) {
        maxSessions.accumulateAndGet(sessions.incrementAndGet(), Math::max);
        try (socket) {
            socket.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            if (!send(out, scripted(Step.GREETING, "220 localhost ESMTP QueueTestRelay"))) {
                return;
            }
            List<String> recipients = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase(Locale.ROOT);
                String reply;
                if (upper.startsWith("EHLO") || upper.startsWith("HELO")) {
                    reply = "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8";
                } else if (upper.startsWith("AUTH LOGIN")) {
                    write(out, "334 VXNlcm5hbWU6");
                    in.readLine();
                    write(out, "334 UGFzc3dvcmQ6");
                    in.readLine();
                    reply = scripted(Step.AUTH, "235 2.7.0 Authentication successful");
                } else if (upper.startsWith("AUTH PLAIN")) {
                    if (line.trim().length() <= "AUTH PLAIN".length()) {
                        write(out, "334 ");
                        in.readLine();
                    }
                    reply = scripted(Step.AUTH, "235 2.7.0 Authentication successful");
                } else if (upper.startsWith("MAIL")) {
                    recipients.clear();
                    reply = scripted(Step.MAIL, "250 2.1.0 Ok");
                } else if (upper.startsWith("RCPT")) {
                    reply = scripted(Step.RCPT, "250 2.1.5 Ok");
                    if (reply.startsWith("2")) {
                        recipients.add(line.substring(line.indexOf('<') + 1, line.lastIndexOf('>')));
                    }
                } else if (upper.equals("DATA")) {
                    write(out, "354 End data with <CR><LF>.<CR><LF>");
                    StringBuilder data = new StringBuilder();
                    String l;
                    while ((l = in.readLine()) != null && !l.equals(".")) {
                        data.append(l.startsWith("..") ? l.substring(1) : l).append("\r\n");
                    }
                    if (dataDelayMillis > 0) {
                        Thread.sleep(dataDelayMillis); // The slow relay this fixture pretends to be.
                    }
                    java.util.concurrent.CountDownLatch hold = dataHold;
                    if (hold != null) {
                        heldReplies.release();
                        hold.await(); // Released by the test, or by close() below.
                    }
                    reply = scripted(Step.DATA, "250 2.0.0 Ok: queued");
                    if (reply.startsWith("2") || reply.equals(DROP)) {
                        synchronized (received) {
                            received.add(new Received(messageId(data), List.copyOf(recipients), data.toString()));
                            received.notifyAll();
                        }
                    }
                } else if (upper.startsWith("RSET") || upper.startsWith("NOOP")) {
                    reply = "250 2.0.0 Ok";
                } else if (upper.startsWith("QUIT")) {
                    write(out, "221 2.0.0 Bye");
                    return;
                } else {
                    reply = "502 5.5.2 Command not recognized";
                }
                if (!send(out, reply)) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client went away, or stop() closed the socket.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sessions.decrementAndGet();
            open.remove(socket);
        }
    }

    /** Sends a reply; false when the reply is {@link #DROP} or closes the connection (421). */
    private static boolean send(OutputStream out, String reply) throws IOException {
        if (reply.equals(DROP)) {
            return false;
        }
        write(out, reply);
        return !reply.startsWith("421");
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String messageId(CharSequence data) {
        for (String header : data.toString().split("\r\n")) {
            if (header.isEmpty()) {
                break;
            }
            if (header.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                return header.substring(11).trim();
            }
        }
        return "";
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Already closed.
        }
    }
}
