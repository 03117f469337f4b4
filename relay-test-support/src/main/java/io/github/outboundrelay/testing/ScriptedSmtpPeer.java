package io.github.outboundrelay.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A small SMTP server for faults real servers won't produce on demand: no STARTTLS, no AUTH, any reply at any step,
 * no greeting (tarpit), TLS bytes instead of a greeting, a connection dropped mid-DATA or after a mail, implicit TLS,
 * a client certificate demand.
 * Listens on a free loopback port; records every line the client sent.
 */
public final class ScriptedSmtpPeer implements AutoCloseable {
    /** A whole TLS 1.2 handshake record (ServerHelloDone): {@code 16 03 03}, length 4, no line break anywhere. */
    public static final byte[] TLS_RECORD = {0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0x00, 0x00, 0x00};

    private final Builder script;
    private final ServerSocket server;
    private final Thread acceptor;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<String>> replies = new HashMap<>();

    private ScriptedSmtpPeer(Builder script) throws IOException {
        this.script = script;
        script.replies.forEach((k, v) -> replies.put(k, new ArrayDeque<>(v)));
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "scripted-smtp-peer");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    /** Every line the client sent, commands upper-cased up to the first space, in order. */
    public List<String> received() {
        return List.copyOf(received);
    }

    public boolean receivedCommand(String verb) {
        return received.stream().anyMatch(l -> l.toUpperCase(Locale.ROOT).startsWith(verb));
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
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
        try (socket) {
            Socket s = socket;
            if (script.implicitTls != null) {
                s = upgrade(s);
            }
            if (script.tlsRecordFirst) {
                s.getOutputStream().write(TLS_RECORD);
                s.getOutputStream().flush();
                if (!script.hangUpAfterTlsRecord) {
                    s.getInputStream().read(); // And nothing more: whoever waits for a line break waits for ever.
                }
                return;
            }
            if (script.greeting == null) {
                s.getInputStream().read(); // Tarpit: say nothing until the client gives up.
                return;
            }
            converse(s);
        } catch (IOException e) {
            // The client went away; that is what several tests provoke.
        }
    }

    private SSLSocket upgrade(Socket s) throws IOException {
        SSLContext context = script.implicitTls != null ? script.implicitTls : script.startTls;
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(s, null, s.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setNeedClientAuth(script.needClientCertificate);
        ssl.startHandshake();
        open.add(ssl);
        return ssl;
    }

    private void converse(Socket socket) throws IOException {
        Socket s = socket;
        BufferedReader in = reader(s);
        OutputStream out = s.getOutputStream();
        write(out, script.greeting);
        boolean secured = script.implicitTls != null;
        int messages = 0;
        String line;
        while ((line = in.readLine()) != null) {
            received.add(line);
            String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
            switch (verb) {
                case "EHLO" -> write(out, ehloReply(secured));
                case "HELO" -> write(out, "250 peer");
                case "STARTTLS" -> {
                    // An attacker on the path appends a reply for the client to read after the handshake.
                    write(out, script.injectAfterStartTls ? "220 2.0.0 ready\r\n250 2.7.0 injected" : "220 2.0.0 ready");
                    s = upgrade(s);
                    in = reader(s);
                    out = s.getOutputStream();
                    secured = true;
                }
                case "AUTH" -> {
                    if (line.toUpperCase(Locale.ROOT).equals("AUTH LOGIN")) {
                        write(out, "334 VXNlcm5hbWU6");
                        received.add(in.readLine());
                        write(out, "334 UGFzc3dvcmQ6");
                        received.add(in.readLine());
                    }
                    write(out, next("AUTH", "235 2.7.0 Authentication successful"));
                }
                case "MAIL" -> write(out, next("MAIL", "250 2.1.0 Ok"));
                case "RCPT" -> write(out, next("RCPT", "250 2.1.5 Ok"));
                case "DATA" -> {
                    String reply = next("DATA", "354 End data with <CR><LF>.<CR><LF>");
                    write(out, reply);
                    if (!reply.startsWith("354")) {
                        break;
                    }
                    String data = in.readLine();
                    if (script.dropDuringData) {
                        return; // Mid-DATA: the client has started the body.
                    }
                    while (data != null && !data.equals(".")) {
                        data = in.readLine();
                    }
                    write(out, next("END", "250 2.0.0 Ok: queued"));
                    messages++;
                    if (script.closeAfterMessages > 0 && messages >= script.closeAfterMessages) {
                        return; // An idle timeout on the server side, as relays do.
                    }
                }
                case "RSET", "NOOP" -> write(out, "250 2.0.0 Ok");
                case "QUIT" -> {
                    write(out, "221 2.0.0 Bye");
                    return;
                }
                default -> write(out, "502 5.5.2 Error: command not recognized");
            }
        }
    }

    private String ehloReply(boolean secured) {
        List<String> lines = new ArrayList<>();
        lines.add("peer.test");
        lines.addAll(script.capabilities);
        if (script.startTls != null && !secured) {
            lines.add("STARTTLS");
        }
        if (script.ehloReply != null) {
            return script.ehloReply;
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

    private synchronized String next(String key, String otherwise) {
        Deque<String> queue = replies.get(key);
        if (queue == null || queue.isEmpty()) {
            return otherwise;
        }
        return queue.size() == 1 ? queue.peek() : queue.poll();
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }

    public static final class Builder {
        private String greeting = "220 peer.test ESMTP scripted";
        private final List<String> capabilities = new ArrayList<>(List.of("PIPELINING", "8BITMIME"));
        private SSLContext startTls;
        private SSLContext implicitTls;
        private boolean needClientCertificate;
        private boolean dropDuringData;
        private boolean injectAfterStartTls;
        private boolean tlsRecordFirst;
        private boolean hangUpAfterTlsRecord;
        private int closeAfterMessages;
        private String ehloReply;
        private final Map<String, List<String>> replies = new HashMap<>();

        /** Null for a tarpit that never greets. */
        public Builder greeting(String greeting) {
            this.greeting = greeting;
            return this;
        }

        public Builder capability(String capability) {
            capabilities.add(capability);
            return this;
        }

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

        /**
         * Replies for a step: AUTH, MAIL, RCPT, DATA (the DATA command) or END (the end of the message). Several
         * replies are used in turn; the last one repeats.
         */
        public Builder reply(String step, String... replies) {
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

        public Builder closeAfterMessages(int count) {
            this.closeAfterMessages = count;
            return this;
        }

        public ScriptedSmtpPeer start() throws IOException {
            return new ScriptedSmtpPeer(this);
        }
    }
}
