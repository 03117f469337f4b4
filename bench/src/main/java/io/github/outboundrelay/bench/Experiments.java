package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.OutboundMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Properties;
import javax.net.SocketFactory;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Measured experiments, not product code: where relay-common's single-thread plain send loses to smtp-source, each
 * one removes one suspected cost on one reused plaintext connection to the same smtp-sink.
 * <ul>
 * <li>{@link #withStreamProviderProperty}: relay-common unchanged, but with the system property that makes
 * jakarta.mail skip its ServiceLoader scan, which it otherwise repeats twice for every message written.</li>
 * <li>{@link #angusPrerendered}: Angus's SMTPTransport on a reused connection, the message rendered by a plain
 * StringBuilder (what relay-common could do for its text/HTML mails) instead of jakarta.mail's MIME objects.</li>
 * <li>{@link #rawClient}: no Angus at all, a socket and the same rendering; with and without PIPELINING (MAIL, RCPT
 * and DATA in one write), to show what the protocol's round trips cost against smtp-source, which does not
 * pipeline.</li>
 * </ul>
 */
final class Experiments {
    static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";
    private static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

    private Experiments() {
    }

    /** relay-common's pooled send with {@code -Djakarta.mail.util.StreamProvider} set for the duration of the run. */
    static Measurement withStreamProviderProperty(SendCases.Target target, int threads, int count, Duration cap) throws Exception {
        String before = System.getProperty(STREAM_PROVIDER);
        System.setProperty(STREAM_PROVIDER, "org.eclipse.angus.mail.util.MailStreamProvider");
        try {
            return SendCases.pooled(target, threads, count, cap);
        } finally {
            if (before == null) {
                System.clearProperty(STREAM_PROVIDER);
            } else {
                System.setProperty(STREAM_PROVIDER, before);
            }
        }
    }

    /** One Angus transport, reused; each message rendered to bytes and written as they are. */
    static Measurement angusPrerendered(int port, int count, Duration cap) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(port));
        p.put("mail.smtp.from", SendCases.FROM);
        p.put("mail.smtp.socketFactory", new NoDelay());
        p.put("mail.smtp.socketFactory.fallback", "false");
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "30000");
        p.put("mail.smtp.quitwait", "false");
        Session session = Session.getInstance(p);
        List<OutboundMessage> prepared = Workload.messages(count);
        long[] latency = new long[count];
        SMTPTransport transport = (SMTPTransport) session.getTransport("smtp");
        transport.connect();
        try {
            CpuTime cpu = CpuTime.now();
            long start = System.nanoTime();
            int done = Workload.runConcurrently(1, count, cap, i -> {
                long t0 = System.nanoTime();
                OutboundMessage m = prepared.get(i);
                transport.sendMessage(new RenderedMessage(session, render(m)),
                        new InternetAddress[] {new InternetAddress(m.to().get(0).address())});
                latency[i] = System.nanoTime() - t0;
            });
            long nanos = System.nanoTime() - start;
            return new Measurement(done, nanos, latency, null, done < count ? "time cap" : "", CpuTime.since(cpu));
        } finally {
            transport.close();
        }
    }

    /** A socket speaking SMTP directly: MAIL, RCPT, DATA pipelined in one write when {@code pipelined}. */
    static Measurement rawClient(int port, boolean pipelined, int count, Duration cap) throws Exception {
        List<OutboundMessage> prepared = Workload.messages(count);
        long[] latency = new long[count];
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            socket.setSoTimeout(30_000);
            Replies in = new Replies(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16384);
            in.expect(220);
            command(out, "EHLO bench.example.com\r\n");
            in.expect(250);
            CpuTime cpu = CpuTime.now();
            long start = System.nanoTime();
            int done = Workload.runConcurrently(1, count, cap, i -> {
                long t0 = System.nanoTime();
                OutboundMessage m = prepared.get(i);
                byte[] data = render(m);
                String mail = "MAIL FROM:<" + SendCases.FROM + ">\r\n";
                String rcpt = "RCPT TO:<" + m.to().get(0).address() + ">\r\n";
                if (pipelined) {
                    command(out, mail + rcpt + "DATA\r\n");
                    in.expect(250);
                    in.expect(250);
                    in.expect(354);
                } else {
                    command(out, mail);
                    in.expect(250);
                    command(out, rcpt);
                    in.expect(250);
                    command(out, "DATA\r\n");
                    in.expect(354);
                }
                out.write(data); // rendered with CRLF; no line starts with a dot, so no dot-stuffing is needed
                command(out, ".\r\n");
                in.expect(250);
                latency[i] = System.nanoTime() - t0;
            });
            long nanos = System.nanoTime() - start;
            command(out, "QUIT\r\n");
            return new Measurement(done, nanos, latency, null, done < count ? "time cap" : "", CpuTime.since(cpu));
        }
    }

    private static void command(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The mail as relay-common's text mails look on the wire, built with one StringBuilder. ASCII bodies only. */
    static byte[] render(OutboundMessage m) {
        StringBuilder b = new StringBuilder(Workload.BODY.length() + 512);
        b.append("Date: ").append(DATE.format(ZonedDateTime.now())).append("\r\n")
                .append("From: CI <").append(SendCases.FROM).append(">\r\n")
                .append("To: ").append(m.to().get(0).address()).append("\r\n")
                .append("Message-ID: ").append(m.messageId()).append("\r\n")
                .append("Subject: ").append(m.subject()).append("\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: text/plain; charset=UTF-8\r\n")
                .append("Content-Transfer-Encoding: 7bit\r\n\r\n");
        String text = m.text();
        int from = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
            b.append(text, from, nl).append("\r\n");
            from = nl + 1;
        }
        if (from < text.length()) {
            b.append(text, from, text.length()).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A message whose bytes are already rendered: Angus's DATA stream gets them in one write. */
    private static final class RenderedMessage extends MimeMessage {
        private final byte[] bytes;

        RenderedMessage(Session session, byte[] bytes) {
            super(session);
            this.bytes = bytes;
        }

        @Override
        public void writeTo(OutputStream os, String[] ignoreList) throws IOException {
            os.write(bytes);
        }
    }

    /** SMTP replies, read with a buffer of its own; multi-line replies are skipped to their last line. */
    private static final class Replies {
        private final InputStream in;
        private final byte[] buffer = new byte[8192];
        private int position;
        private int limit;

        Replies(InputStream in) {
            this.in = in;
        }

        void expect(int code) throws IOException {
            while (true) {
                int c = 0;
                for (int i = 0; i < 3; i++) {
                    c = c * 10 + (next() - '0');
                }
                int separator = next();
                while (next() != '\n') {
                    // the rest of the line
                }
                if (separator != '-') {
                    if (c != code) {
                        throw new IOException("expected " + code + ", got " + c);
                    }
                    return;
                }
            }
        }

        private int next() throws IOException {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    throw new IOException("the server closed the connection");
                }
            }
            return buffer[position++];
        }
    }

    /** Plain sockets with TCP_NODELAY, as relay-common's (package-private) factory makes them. */
    private static final class NoDelay extends SocketFactory {
        @Override
        public Socket createSocket() throws IOException {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket s = new Socket(host, port);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            Socket s = new Socket(host, port, localHost, localPort);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            Socket s = new Socket(host, port);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            Socket s = new Socket(address, port, localAddress, localPort);
            s.setTcpNoDelay(true);
            return s;
        }
    }
}
