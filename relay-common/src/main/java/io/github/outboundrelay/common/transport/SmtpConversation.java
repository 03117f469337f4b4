package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.redaction.PrintableText;
import io.github.outboundrelay.common.redaction.Redaction;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.tls.TlsPolicy;
import io.github.outboundrelay.common.tls.TlsRecordReceivedException;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;

/**
 * The probe's line-level SMTP client: sends commands, reads (multi-line) replies, records a transcript in which
 * secrets are replaced by the caller's redacted form, and upgrades to TLS refusing any plaintext the server sent
 * after agreeing to STARTTLS (CVE-2011-0411-style command injection).
 */
public final class SmtpConversation implements Closeable {
    private static final int MAX_LINE = 4096;
    private static final int MAX_LINES = 200;

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final List<String> transcript = new ArrayList<>();

    public SmtpConversation(Socket socket) throws IOException {
        use(socket);
    }

    private void use(Socket s) throws IOException {
        socket = s;
        in = new BufferedInputStream(s.getInputStream());
        out = s.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    public List<String> transcript() {
        return transcript;
    }

    public void note(String line) {
        transcript.add(line);
    }

    /** Sends one command; the transcript shows {@code shown} instead when the command carries a secret. */
    public void send(String command, String shown) throws IOException {
        transcript.add("C: " + shown);
        out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    public void send(String command) throws IOException {
        send(command, command);
    }

    public OutputStream rawOutput() {
        return out;
    }

    /** Reads one reply. AUTH challenges (334) show as {@code [redacted]} in the transcript: they can echo secrets. */
    public SmtpReply read() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int count = 0; count < MAX_LINES; count++) {
            String line;
            try {
                line = readLine();
            } catch (TlsRecordReceivedException e) {
                transcript.add("S: [" + e.getMessage() + "]");
                throw e;
            }
            String challenge = Redaction.authChallenge(line);
            transcript.add("S: " + (challenge != null ? challenge : printable(line)));
            if (line.length() < 3 || !Character.isDigit(line.charAt(0))) {
                throw new ProtocolException("not an SMTP reply: " + printable(line));
            }
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(line);
            if (line.length() == 3 || line.charAt(3) != '-') {
                SmtpReply reply = SmtpReply.parse(text.toString());
                if (reply == null) {
                    throw new ProtocolException("not an SMTP reply: " + printable(line));
                }
                return reply;
            }
        }
        throw new ProtocolException("reply longer than " + MAX_LINES + " lines");
    }

    /** Escapes control characters, so that binary read as text cannot garble a terminal or a page; 200 at most. */
    private static String printable(String line) {
        return PrintableText.escape(line.length() > 200 ? line.substring(0, 200) : line);
    }

    /** The lines of a multi-line reply after the first code, for EHLO capabilities. */
    public static List<String> lines(SmtpReply reply) {
        return List.of(reply.text().split("\n"));
    }

    /** Layers TLS over the connection. Plaintext already buffered would be read as if it came over TLS: refuse it. */
    public SSLSocket startTls(TlsContext tls, String host, int port) throws IOException {
        if (in.available() > 0) {
            throw new ProtocolException("the relay sent data after agreeing to STARTTLS; refusing (possible command injection)");
        }
        SSLSocket ssl = (SSLSocket) tls.socketFactory().createSocket(socket, host, port, true);
        TlsPolicy.configure(ssl);
        ssl.startHandshake();
        use(ssl);
        return ssl;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the relay closed the connection");
            }
            if (b == '\n') {
                break;
            }
            if (b != '\r') {
                line.write(b);
            }
            if (line.size() > MAX_LINE) {
                throw new ProtocolException("reply line longer than " + MAX_LINE + " bytes");
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Already gone.
        }
    }
}
