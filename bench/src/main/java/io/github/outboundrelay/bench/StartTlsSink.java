package io.github.outboundrelay.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * An in-process SMTP sink for the STARTTLS case, which smtp-sink cannot serve: STARTTLS required, then AUTH
 * PLAIN/LOGIN required (as a real submission relay does), then any mail is taken and dropped. A thread per
 * connection, its own buffered reader (a synchronized read per byte would measure the sink), PIPELINING honoured
 * by flushing only when no command is waiting. Both the Transport.send baseline and relay-common send to it.
 */
final class StartTlsSink implements AutoCloseable {
    private static final int MAX_SESSIONS = 128;
    private static final byte[] END_OF_DATA = {'\r', '\n', '.', '\r', '\n'};

    private final ServerSocket server;
    private final SSLSocketFactory tls;
    private final String user;
    private final String password;
    private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "starttls-sink-session");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore sessionSlots = new Semaphore(MAX_SESSIONS);
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    private StartTlsSink(SSLContext context, String user, String password) throws IOException {
        this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        this.tls = context.getSocketFactory();
        this.user = user;
        this.password = password;
        this.acceptor = new Thread(this::acceptLoop, "starttls-sink-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static StartTlsSink start(SSLContext context, String user, String password) throws IOException {
        return new StartTlsSink(context, user, password);
    }

    int port() {
        return server.getLocalPort();
    }

    long messages() {
        return messages.get();
    }

    long connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                if (!sessionSlots.tryAcquire()) {
                    try (socket) {
                        socket.getOutputStream().write("421 4.3.2 too many sessions\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    continue;
                }
                sessions.execute(() -> {
                    try (Socket s = socket) {
                        new Conversation(s).run();
                    } catch (IOException | RuntimeException e) {
                        // A client that hung up mid-conversation: nothing to record for a sink.
                    } finally {
                        sessionSlots.release();
                    }
                });
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("STARTTLS sink: accept failed: " + e);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // Closing a listening socket: nothing to recover.
        }
        sessions.shutdownNow();
    }

    /** One SMTP session. Not thread-safe: one thread runs it. */
    private final class Conversation {
        private Socket socket;
        private Input in;
        private OutputStream out;
        private boolean secured;
        private boolean authenticated;

        Conversation(Socket socket) throws IOException {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            use(socket);
        }

        private void use(Socket s) throws IOException {
            this.socket = s;
            this.in = new Input(s.getInputStream());
            this.out = new BufferedOutputStream(s.getOutputStream(), 8192);
        }

        void run() throws IOException {
            reply("220 sink ESMTP");
            String line;
            while ((line = in.readLine()) != null) {
                String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> reply(secured
                            ? "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN"
                            : "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS");
                    case "HELO" -> reply("250 sink");
                    case "STAR" -> startTls();
                    case "AUTH" -> authenticate(line);
                    case "MAIL" -> reply(!secured ? "530 5.7.0 Must issue a STARTTLS command first"
                            : !authenticated ? "530 5.7.0 Authentication required" : "250 2.1.0 Ok");
                    case "RCPT" -> reply("250 2.1.5 Ok");
                    case "DATA" -> {
                        reply("354 End data with <CR><LF>.<CR><LF>");
                        out.flush();
                        if (!in.skipMessage()) {
                            return;
                        }
                        messages.incrementAndGet();
                        reply("250 2.0.0 Ok: queued");
                    }
                    case "RSET", "NOOP" -> reply("250 2.0.0 Ok");
                    case "QUIT" -> {
                        reply("221 2.0.0 Bye");
                        out.flush();
                        return;
                    }
                    default -> reply("502 5.5.2 Error: command not recognized");
                }
            }
        }

        private void startTls() throws IOException {
            if (secured) {
                reply("503 5.5.1 Error: TLS already active");
                return;
            }
            reply("220 2.0.0 Ready to start TLS");
            out.flush();
            SSLSocket ssl = (SSLSocket) tls.createSocket(socket, "127.0.0.1", socket.getPort(), true);
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            use(ssl);
            secured = true;
        }

        private void authenticate(String line) throws IOException {
            if (!secured) {
                reply("530 5.7.0 Must issue a STARTTLS command first");
                return;
            }
            String[] words = line.split(" ");
            String mechanism = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
            String u;
            String p;
            if (mechanism.equals("PLAIN")) {
                String initial = words.length > 2 ? words[2] : challenge("");
                String[] parts = decode(initial).split("\0", -1);
                u = parts.length == 3 ? parts[1] : null;
                p = parts.length == 3 ? parts[2] : null;
            } else if (mechanism.equals("LOGIN")) {
                u = decode(words.length > 2 ? words[2] : challenge("VXNlcm5hbWU6"));
                p = decode(challenge("UGFzc3dvcmQ6"));
            } else {
                reply("504 5.5.4 Unrecognized authentication type");
                return;
            }
            authenticated = user.equals(u) && password.equals(p);
            reply(authenticated ? "235 2.7.0 Authentication successful" : "535 5.7.8 Error: authentication failed");
        }

        private String challenge(String text) throws IOException {
            reply("334 " + text);
            out.flush();
            String answer = in.readLine();
            return answer == null ? "" : answer;
        }

        private String decode(String base64) {
            try {
                return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }

        /** Replies; flushes only when the client has no further pipelined command waiting. */
        private void reply(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.write('\r');
            out.write('\n');
            if (!in.buffered()) {
                out.flush();
            }
        }
    }

    /** A reader with its own buffer: SMTP lines, and message data skipped up to the dot line. */
    private static final class Input {
        private final InputStream in;
        private final byte[] buffer = new byte[16384];
        private int position;
        private int limit;

        Input(InputStream in) {
            this.in = in;
        }

        boolean buffered() {
            return position < limit;
        }

        private boolean fill() throws IOException {
            if (position < limit) {
                return true;
            }
            int n = in.read(buffer, 0, buffer.length);
            if (n <= 0) {
                return false;
            }
            position = 0;
            limit = n;
            return true;
        }

        /** A line without its CRLF, or null at the end of the stream. Lines longer than 4,096 bytes are cut. */
        String readLine() throws IOException {
            StringBuilder line = new StringBuilder(64);
            while (fill()) {
                while (position < limit) {
                    byte b = buffer[position++];
                    if (b == '\n') {
                        int end = line.length();
                        if (end > 0 && line.charAt(end - 1) == '\r') {
                            line.setLength(end - 1);
                        }
                        return line.toString();
                    }
                    if (line.length() < 4096) {
                        line.append((char) (b & 0xff));
                    }
                }
            }
            return null;
        }

        /** Skips message data through CRLF.CRLF; false when the stream ended first. */
        boolean skipMessage() throws IOException {
            int matched = 2; // DATA data starts at the beginning of a line, as if CRLF had just been seen.
            while (fill()) {
                while (position < limit) {
                    byte b = buffer[position++];
                    if (b == END_OF_DATA[matched]) {
                        if (++matched == END_OF_DATA.length) {
                            return true;
                        }
                    } else {
                        matched = b == '\r' ? 1 : 0;
                    }
                }
            }
            return false;
        }
    }
}
