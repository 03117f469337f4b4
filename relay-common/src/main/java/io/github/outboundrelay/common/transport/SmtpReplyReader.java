package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.SmtpReply;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the relay's replies on a connection relay-common owns after Angus connected it ({@link MailTransaction}).
 * Multi-line replies are joined; a line longer than {@value #MAX_LINE} bytes or a reply of more than
 * {@value #MAX_LINES} lines is refused, as {@link SmtpConversation} refuses them in the probe, so a relay that
 * streams garbage cannot make the sender buffer without bound. The read timeout is the socket's SO_TIMEOUT, which
 * Angus set from {@code mail.smtp.timeout}; the end of the stream is a lost connection ({@link EOFException}).
 *
 * <p>Buffered itself (one read system call takes every reply of a pipelined group, where a line reader over the
 * socket would make one per byte), and able to say whether the relay sent more than it was asked for
 * ({@link #hasUnread}): after that the conversation is out of step, and the connection is not reused.
 * Not thread-safe: one connection, one sender at a time.
 */
final class SmtpReplyReader {
    static final int MAX_LINE = 4096;
    static final int MAX_LINES = 200;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private final byte[] line = new byte[MAX_LINE];
    private final StringBuilder text = new StringBuilder();
    private int position;
    private int limit;

    SmtpReplyReader(InputStream in) {
        this.in = in;
    }

    /** One whole reply, its lines joined by {@code \n}. */
    SmtpReply read() throws IOException {
        text.setLength(0);
        for (int count = 0; count < MAX_LINES; count++) {
            int length = readLine();
            if (length < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2])
                    || (length > 3 && line[3] != ' ' && line[3] != '-')) {
                throw notAReply(length);
            }
            if (count > 0) {
                text.append('\n');
            }
            text.append(new String(line, 0, length, StandardCharsets.UTF_8));
            if (length == 3 || line[3] == ' ') {
                SmtpReply reply = SmtpReply.parse(text.toString());
                if (reply == null) {
                    throw notAReply(length);
                }
                return reply;
            }
        }
        throw new ProtocolException("reply longer than " + MAX_LINES + " lines");
    }

    /** Whether bytes the relay sent wait unread: it answered more than it was asked, or spoke out of turn. */
    boolean hasUnread() throws IOException {
        return hasBuffered() || in.available() > 0;
    }

    /** As {@link #hasUnread}, only for what this reader already took from the socket: no system call. */
    boolean hasBuffered() {
        return position < limit;
    }

    /** Reads one line into {@link #line} without its CRLF (a bare LF ends it too); returns its length. */
    private int readLine() throws IOException {
        int length = 0;
        while (true) {
            if (position == limit) {
                fill();
            }
            byte b = buffer[position++];
            if (b == '\n') {
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                return length;
            }
            if (length == MAX_LINE) {
                throw new ProtocolException("reply line longer than " + MAX_LINE + " bytes");
            }
            line[length++] = b;
        }
    }

    private void fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            throw new EOFException("the relay closed the connection");
        }
        position = 0;
        limit = n;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Without the line itself: it could hold an address, and the message reaches logs unmasked. */
    private static ProtocolException notAReply(int length) {
        return new ProtocolException("the relay sent a line of " + length + " bytes that is not an SMTP reply");
    }
}
