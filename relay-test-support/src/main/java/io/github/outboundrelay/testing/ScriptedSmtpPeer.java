package io.github.outboundrelay.testing;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A raw SMTP server on a loopback port whose every reply a test scripts, for what real servers won't do on demand:
 * a 4xx or 5xx at any step, {@link #DROP} (take the command, close the connection), no STARTTLS, no AUTH, no
 * greeting (tarpit), TLS bytes instead of a greeting, a connection dropped mid-DATA or after a mail, implicit TLS, a
 * client certificate demand, a slow end of DATA. It can be stopped (connections refused) and started again on the
 * same port. It records every line the client sent and every mail it accepted.
 *
 * <pre>{@code
 * try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.RCPT, "550 5.1.1 unknown", "250 2.1.5 Ok").start()) {
 *     peer.reply(Step.END_OF_DATA, "451 4.3.0 try later");   // the next one, then the default again
 *     peer.always(Step.AUTH, "535 5.7.8 invalid");           // from now on
 *     ... send to 127.0.0.1:peer.port() ...
 *     peer.awaitReceived(1, Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class ScriptedSmtpPeer implements AutoCloseable {
    /** Where a reply can be scripted. */
    public enum Step {
        GREETING, AUTH, MAIL, RCPT,
        /** The reply to the DATA command ({@code 354} by default). */
        DATA,
        /** The reply after the message's final dot: the one that says whether the mail was taken. */
        END_OF_DATA,
        /** The reply to RSET ({@code 250} by default). */
        RSET
    }

    /**
     * Instead of a reply: close the connection. At {@link Step#END_OF_DATA} the mail counts as received (taken, its
     * reply lost).
     */
    public static final String DROP = "DROP";

    /** A whole TLS 1.2 handshake record (ServerHelloDone): {@code 16 03 03}, length 4, no line break anywhere. */
    public static final byte[] TLS_RECORD = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};

    /** A mail the peer accepted: its Message-ID header ("" if none), the accepted recipients, the unstuffed data. */
    public record Received(String messageId, List<String> recipients, String data) {
    }

    private final Builder script;
    private final int port;
    private final Map<Step, Deque<String>> once = new EnumMap<>(Step.class);   // guarded by this
    private final Map<Step, String> always = new EnumMap<>(Step.class);        // guarded by this
    private final Map<Step, AtomicInteger> commands = new EnumMap<>(Step.class);
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<Received> received = new ArrayList<>();                 // guarded by itself
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger maxSessions = new AtomicInteger();
    private volatile long dataDelayMillis;
    private volatile CountDownLatch dataHold; // null: the end of DATA is answered at once
    private final CountDownLatch stalled = new CountDownLatch(1); // opened by close(): stalled connections end
    private final Semaphore heldReplies = new Semaphore(0);
    private volatile ServerSocket server;

    private ScriptedSmtpPeer(Builder script) throws IOException {
        this.script = script;
        for (Step s : Step.values()) {
            once.put(s, new ArrayDeque<>());
            commands.put(s, new AtomicInteger());
        }
        script.replies.forEach((step, replies) -> {
            // In turn, the last one repeating.
            once.get(step).addAll(replies.subList(0, replies.size() - 1));
            always.put(step, replies.get(replies.size() - 1));
        });
        this.port = listen(script.port);
    }

    public static Builder builder() {
        return new Builder();
    }

    public int port() {
        return port;
    }

    /** TCP connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** The most connections that were open at the same time. */
    public int maxConcurrentConnections() {
        return maxSessions.get();
    }

    /** How many times the client reached {@code step} (for {@link Step#GREETING}: connections greeted). */
    public int commands(Step step) {
        return commands.get(step).get();
    }

    /** Every line the client sent outside a message body, in order. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    public boolean receivedCommand(String verb) {
        return lines.stream().anyMatch(l -> l.toUpperCase(Locale.ROOT).startsWith(verb));
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
     * Holds every answer to the end of DATA until {@link #releaseData}: a send blocked in socket I/O for as long as the
     * test wants (bounded by five minutes, so a test that forgets still ends). {@link #awaitHeldData} says when a
     * sender waits there.
     */
    public void holdData() {
        dataHold = new CountDownLatch(1);
    }

    /** Answers the held ends of DATA, and later ones at once. */
    public void releaseData() {
        CountDownLatch hold = dataHold;
        dataHold = null;
        if (hold != null) {
            hold.countDown();
        }
    }

    /** Waits until {@code count} answers to the end of DATA are being held. */
    public void awaitHeldData(int count, Duration timeout) throws InterruptedException {
        if (!heldReplies.tryAcquire(count, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new AssertionError("no send reached the end of DATA within " + timeout);
        }
    }

    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    public List<String> messageIds() {
        return received().stream().map(Received::messageId).toList();
    }

    /** Waits until at least {@code count} mails were accepted. @throws IllegalStateException on timeout */
    public List<Received> awaitReceived(int count, Duration timeout) throws InterruptedException {
        return Poll.untilCount(received, received, count, timeout, "mail(s)");
    }

    /** Closes the listener and every connection: the relay is down, connections are refused. */
    public void stop() {
        ServerSocket s = server;
        server = null;
        if (s != null) {
            closeQuietly(s);
        }
        open.forEach(ScriptedSmtpPeer::closeQuietly);
    }

    /** Listens again on the same port. */
    public void restart() throws IOException {
        listen(port);
    }

    @Override
    public void close() {
        releaseData();
        stalled.countDown();
        stop();
    }

    private int listen(int wanted) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 50);
        server = s;
        Thread acceptor = new Thread(() -> acceptLoop(s), "scripted-smtp-peer-" + s.getLocalPort());
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
                Thread t = new Thread(() -> serve(socket), "scripted-smtp-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        maxSessions.accumulateAndGet(sessions.incrementAndGet(), Math::max);
        try (socket) {
            socket.setSoTimeout(30_000); // Bounded: a client that never speaks does not pin a thread for ever.
            Socket s = socket;
            if (script.implicitTls != null) {
                s = upgrade(s, script.implicitTls);
            }
            if (script.tlsRecordFirst) {
                s.getOutputStream().write(TLS_RECORD);
                s.getOutputStream().flush();
                if (!script.hangUpAfterTlsRecord) {
                    s.getInputStream().read(); // And nothing more: whoever waits for a line break waits until it gives up.
                }
                return;
            }
            if (script.greeting == null) {
                s.getInputStream().read(); // Tarpit: say nothing until the client gives up.
                return;
            }
            converse(s);
        } catch (IOException e) {
            // The client went away, or stop() closed the socket: what several tests provoke.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sessions.decrementAndGet();
            open.remove(socket);
        }
    }

    private SSLSocket upgrade(Socket s, SSLContext context) throws IOException {
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(s, null, s.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setNeedClientAuth(script.needClientCertificate);
        ssl.startHandshake();
        open.add(ssl);
        return ssl;
    }

    private void converse(Socket socket) throws IOException, InterruptedException {
        Socket s = socket;
        BufferedReader in = reader(s);
        OutputStream out = s.getOutputStream();
        if (!send(out, scripted(Step.GREETING, script.greeting))) {
            return;
        }
        boolean secured = script.implicitTls != null;
        List<String> recipients = new ArrayList<>();
        int messages = 0;
        String line;
        while ((line = in.readLine()) != null) {
            lines.add(line);
            String upper = line.toUpperCase(Locale.ROOT);
            String verb = upper.split(" ", 2)[0];
            String reply;
            switch (verb) {
                case "EHLO" -> reply = ehloReply(secured);
                case "HELO" -> reply = "250 peer";
                case "STARTTLS" -> {
                    if (script.startTls == null) {
                        write(out, "454 4.7.0 TLS not available");
                        continue;
                    }
                    // An attacker on the path appends a reply for the client to read after the handshake.
                    write(out, script.injectAfterStartTls ? "220 2.0.0 ready\r\n250 2.7.0 injected" : "220 2.0.0 ready");
                    s = upgrade(s, script.startTls);
                    in = reader(s);
                    out = s.getOutputStream();
                    secured = true;
                    continue;
                }
                case "AUTH" -> {
                    if (upper.equals("AUTH LOGIN")) {
                        write(out, "334 VXNlcm5hbWU6");
                        lines.add(in.readLine());
                        write(out, "334 UGFzc3dvcmQ6");
                        lines.add(in.readLine());
                    } else if (upper.equals("AUTH PLAIN")) {
                        write(out, "334 ");
                        lines.add(in.readLine());
                    }
                    reply = scripted(Step.AUTH, "235 2.7.0 Authentication successful");
                }
                case "MAIL" -> {
                    recipients.clear();
                    reply = scripted(Step.MAIL, "250 2.1.0 Ok");
                }
                case "RCPT" -> {
                    reply = scripted(Step.RCPT, "250 2.1.5 Ok");
                    if (reply.startsWith("2") && line.indexOf('<') >= 0) {
                        recipients.add(line.substring(line.indexOf('<') + 1, line.lastIndexOf('>')));
                    }
                }
                case "DATA" -> {
                    String go = scripted(Step.DATA, "354 End data with <CR><LF>.<CR><LF>");
                    if (!send(out, go)) {
                        return;
                    }
                    if (!go.startsWith("354")) {
                        continue;
                    }
                    StringBuilder data = new StringBuilder();
                    String l = in.readLine();
                    if (script.dropDuringData) {
                        return; // Mid-DATA: the client has started the body.
                    }
                    if (script.stallDuringData) {
                        stalled.await(5, TimeUnit.MINUTES); // Reads nothing more until close(): the client's writes fill the socket.
                        return;
                    }
                    while (l != null && !l.equals(".")) {
                        data.append(l.startsWith("..") ? l.substring(1) : l).append("\r\n");
                        l = in.readLine();
                    }
                    if (dataDelayMillis > 0) {
                        Thread.sleep(dataDelayMillis); // The slow relay this peer pretends to be.
                    }
                    CountDownLatch hold = dataHold;
                    if (hold != null) {
                        heldReplies.release();
                        hold.await(5, TimeUnit.MINUTES); // Released by the test, or by close().
                    }
                    reply = scripted(Step.END_OF_DATA, "250 2.0.0 Ok: queued");
                    if (reply.startsWith("2") || reply.equals(DROP)) {
                        synchronized (received) {
                            received.add(new Received(messageId(data), List.copyOf(recipients), data.toString()));
                            received.notifyAll();
                        }
                    }
                    if (reply.startsWith("2") && script.closeAfterMessages > 0 && ++messages >= script.closeAfterMessages) {
                        write(out, reply);
                        return; // An idle timeout on the server side, as relays do.
                    }
                }
                case "RSET" -> reply = scripted(Step.RSET, "250 2.0.0 Ok");
                case "NOOP" -> reply = "250 2.0.0 Ok";
                case "QUIT" -> {
                    write(out, "221 2.0.0 Bye");
                    return;
                }
                default -> reply = "502 5.5.2 Error: command not recognized";
            }
            if (!send(out, reply)) {
                return;
            }
        }
    }

    private String ehloReply(boolean secured) {
        if (script.ehloReply != null) {
            return script.ehloReply;
        }
        List<String> lines = new ArrayList<>();
        lines.add("peer.test");
        lines.addAll(script.capabilities);
        if (script.startTls != null && !secured) {
            lines.add("STARTTLS");
        }
        StringBuilder reply = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            reply.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i));
            if (i < lines.size() - 1) {
                reply.append("\r\n");
            }
        }
        return reply.toString();
    }

    private synchronized String scripted(Step step, String fallback) {
        commands.get(step).incrementAndGet();
        String next = once.get(step).poll();
        if (next != null) {
            return next;
        }
        return always.getOrDefault(step, fallback);
    }

    /** Sends a reply; false when the reply is {@link #DROP} or closes the connection (421). */
    private static boolean send(OutputStream out, String reply) throws IOException {
        if (reply.equals(DROP)) {
            return false;
        }
        write(out, reply);
        return !reply.startsWith("421");
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
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

    /** What the peer does from the first byte; replies can also be scripted while it runs. */
    public static final class Builder {
        private int port;
        private String greeting = "220 peer.test ESMTP scripted";
        private final List<String> capabilities = new ArrayList<>(List.of("PIPELINING", "8BITMIME"));
        private SSLContext startTls;
        private SSLContext implicitTls;
        private boolean needClientCertificate;
        private boolean dropDuringData;
        private boolean stallDuringData;
        private boolean injectAfterStartTls;
        private boolean tlsRecordFirst;
        private boolean hangUpAfterTlsRecord;
        private int closeAfterMessages;
        private String ehloReply;
        private final Map<Step, List<String>> replies = new EnumMap<>(Step.class);

        /** Listens on this port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Null for a tarpit that never greets. */
        public Builder greeting(String greeting) {
            this.greeting = greeting;
            return this;
        }

        /** One more EHLO line, such as {@code AUTH PLAIN LOGIN}. */
        public Builder capability(String capability) {
            capabilities.add(capability);
            return this;
        }

        /** The whole EHLO reply, verbatim, instead of one built from the capabilities. */
        public Builder ehloReply(String reply) {
            this.ehloReply = reply;
            return this;
        }

        /** Offers STARTTLS and upgrades with this context. */
        public Builder startTls(SSLContext context) {
            this.startTls = context;
            return this;
        }

        /** Speaks TLS from the first byte. */
        public Builder implicitTls(SSLContext context) {
            this.implicitTls = context;
            return this;
        }

        public Builder requireClientCertificate() {
            this.needClientCertificate = true;
            return this;
        }

        /** Replies at {@code step}, used in turn; the last one repeats. */
        public Builder reply(Step step, String... replies) {
            if (replies.length == 0) {
                throw new IllegalArgumentException("at least one reply");
            }
            this.replies.put(step, List.of(replies));
            return this;
        }

        /** Sends a plaintext line right behind its STARTTLS reply (CVE-2011-0411-style injection). */
        public Builder injectAfterStartTls() {
            this.injectAfterStartTls = true;
            return this;
        }

        /**
         * Answers a new connection with {@link #TLS_RECORD} instead of a greeting, a port that speaks TLS, then keeps the
         * connection open or, with {@code hangUp}, closes it as a TLS endpoint does after a fatal alert.
         */
        public Builder tlsRecordFirst(boolean hangUp) {
            this.tlsRecordFirst = true;
            this.hangUpAfterTlsRecord = hangUp;
            return this;
        }

        public Builder dropDuringData() {
            this.dropDuringData = true;
            return this;
        }

        /**
         * After the first line of the message, reads nothing more and keeps the connection open (until {@link #close}):
         * a relay that stopped reading, which only the client's write timeout ends.
         */
        public Builder stallDuringData() {
            this.stallDuringData = true;
            return this;
        }

        /** Closes the connection after this many accepted mails. */
        public Builder closeAfterMessages(int count) {
            this.closeAfterMessages = count;
            return this;
        }

        public ScriptedSmtpPeer start() throws IOException {
            return new ScriptedSmtpPeer(this);
        }
    }
}
