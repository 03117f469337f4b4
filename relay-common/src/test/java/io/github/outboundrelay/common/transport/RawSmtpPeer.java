package io.github.outboundrelay.common.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One SMTP connection on a loopback port that the test plays read by read, for what ScriptedSmtpPeer cannot show:
 * when the client's bytes arrive and in how many pieces, whether it waits for a reply before the next command, and a
 * reply cut off by a close. Every read is bounded (five seconds), so a client that waits when it should not fails
 * the test instead of hanging it.
 */
final class RawSmtpPeer implements AutoCloseable {
    static final int READ_TIMEOUT_MILLIS = 5_000;

    private final ServerSocket server;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawSmtpPeer() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setSoTimeout(READ_TIMEOUT_MILLIS);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Takes the client's connection, greets it and answers its EHLO with these capabilities. */
    void greet(String... capabilities) throws IOException {
        socket = server.accept();
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        write("220 raw.test ESMTP");
        String ehlo = readOnce();
        if (!ehlo.startsWith("EHLO ")) {
            throw new IllegalStateException("expected EHLO, got " + ehlo);
        }
        StringBuilder reply = new StringBuilder("250-raw.test");
        for (String capability : capabilities) {
            reply.append("\r\n250-").append(capability);
        }
        write(reply.append("\r\n250 8BITMIME").toString());
    }

    /** What one read returns: the bytes that arrived together (one write of a few hundred bytes on loopback). */
    String readOnce() throws IOException {
        byte[] buffer = new byte[64 * 1024];
        int n = in.read(buffer);
        if (n < 0) {
            throw new IOException("the client closed the connection");
        }
        return new String(Arrays.copyOf(buffer, n), StandardCharsets.UTF_8);
    }

    /** Reads until the text read ends with {@code end}; each read bounded. */
    String readUntil(String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            text.append(readOnce());
        }
        return text.toString();
    }

    /** Reads until {@code count} whole lines arrived; returns them without their CRLF. */
    java.util.List<String> readLines(int count) throws IOException {
        StringBuilder text = new StringBuilder();
        while (text.chars().filter(c -> c == '\n').count() < count) {
            text.append(readOnce());
        }
        return java.util.List.of(text.toString().split("\r\n"));
    }

    /** Whether the client sent nothing for this long: it waits for a reply. */
    boolean silentFor(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the client closed the connection");
            }
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        }
    }

    /** Sends these lines in one write, each ended by CRLF. */
    void write(String lines) throws IOException {
        out.write((lines + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Sends bytes as they are, no line end added. */
    void writeRaw(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Closes the client's connection (a relay that goes away). */
    void hangUp() throws IOException {
        socket.close();
    }

    @Override
    public void close() throws IOException {
        if (socket != null) {
            socket.close();
        }
        server.close();
    }
}
