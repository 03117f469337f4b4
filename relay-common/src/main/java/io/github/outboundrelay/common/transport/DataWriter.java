package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.mime.ByteWords;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The body of SMTP DATA as it goes on the wire, made in one pass over the message: every line end (CRLF, bare CR,
 * bare LF) becomes CRLF, and a '.' that starts a line gets a second one (RFC 5321 4.5.2), exactly as Angus's
 * {@code SMTPOutputStream} and {@code CRLFOutputStream} do in two scans and a write per line. Runs of ordinary bytes
 * are copied in bulk into one buffer, which reaches the socket in one write when it is full and at
 * {@link #finish}: a rendered mail of a few KiB is one write (one TLS record or one TCP send).
 *
 * <p>{@link #flush} does nothing, as Angus's does: the end of DATA should follow the message in the same write
 * ({@link #end}, which {@code MailTransaction} calls). Not thread-safe: one connection writes one message at a time, and reuses
 * the writer for the next after {@link #reset}.
 */
public final class DataWriter extends OutputStream {
    static final int BUFFER = 16 * 1024;

    /** Where the buffer goes, in bulk. */
    public interface Sink {
        void write(byte[] bytes, int length) throws IOException;
    }

    private final Sink sink;
    private final byte[] buffer;
    private int count;
    private int last = -1; // the last byte of the message so far; -1 before the first

    public DataWriter(Sink sink) {
        this(sink, BUFFER);
    }

    DataWriter(Sink sink, int bufferSize) {
        if (bufferSize < 2) {
            throw new IllegalArgumentException("buffer of " + bufferSize + " bytes cannot hold a CRLF");
        }
        this.sink = sink;
        this.buffer = new byte[bufferSize];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /**
     * Copies the bytes in runs that reach from one change to the next: a CRLF passes as it is, so a rendered mail
     * (CRLF line ends already) is copied in one piece unless a line starts with a dot. Line ends are found eight bytes
     * a step ({@link ByteWords#lineBreak}): this is the one pass over every byte sent.
     */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return;
        }
        int end = off + len;
        int i = off;
        if (last == '\r' && b[i] == '\n') {
            i++; // the LF of a CRLF split between two writes: the CRLF went out with the CR
        }
        int run = i; // b[run, i) goes out as it is, at the next change or at the end
        boolean lineStart = atLineStart();
        while (true) {
            if (lineStart && i < end && b[i] == '.') {
                put(b, run, i - run);
                put((byte) '.'); // the dot doubled; the line itself follows in the run
                run = i;
            }
            i = ByteWords.lineBreak(b, i, end);
            if (i == end) {
                break;
            }
            if (b[i] == '\r' && i + 1 < end && b[i + 1] == '\n') {
                i += 2; // CRLF: stays in the run
            } else {
                put(b, run, i - run); // a bare CR or LF (or a CR that ends this write) becomes CRLF
                put((byte) '\r');
                put((byte) '\n');
                run = ++i;
            }
            lineStart = true;
        }
        put(b, run, end - run);
        last = b[end - 1];
    }

    /** Ready for the next message on the same connection, keeping the buffer (16 KiB not allocated per mail). */
    void reset() {
        count = 0;
        last = -1;
    }

    /** Nothing: the whole message and the end of DATA go out together (see the class comment). */
    @Override
    public void flush() {
    }

    /** Ends the last line if it is open and writes what is buffered; the caller then sends the final ".". */
    public void finish() throws IOException {
        if (!atLineStart()) {
            put((byte) '\r');
            put((byte) '\n');
            last = '\n';
        }
        drain();
    }

    /**
     * As {@link #finish}, with the "." that ends DATA in the same write: the message and its end leave together,
     * when relay-common speaks the whole transaction ({@code MailTransaction}).
     */
    void end() throws IOException {
        endWith(null, 0);
    }

    /**
     * As {@link #end}, with {@code length} bytes of commands (none when 0) after the "." in the same write: the next
     * mail's MAIL, RCPT and DATA, when mails are chained (RFC 2920 section 3.1 lets message content start a group).
     * The commands go as they are: they are not message content, so neither line ends nor dots are touched.
     */
    void endWith(byte[] commands, int length) throws IOException {
        if (!atLineStart()) {
            put((byte) '\r');
            put((byte) '\n');
        }
        put((byte) '.');
        put((byte) '\r');
        put((byte) '\n');
        if (length > 0) {
            put(commands, 0, length);
        }
        last = '\n';
        drain();
    }

    private boolean atLineStart() {
        return last == -1 || last == '\r' || last == '\n';
    }

    private void put(byte b) throws IOException {
        if (count == buffer.length) {
            drain();
        }
        buffer[count++] = b;
    }

    private void put(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (count == buffer.length) {
                drain();
            }
            int n = Math.min(len, buffer.length - count);
            System.arraycopy(b, off, buffer, count, n);
            count += n;
            off += n;
            len -= n;
        }
    }

    private void drain() throws IOException {
        if (count > 0) {
            sink.write(buffer, count);
            count = 0;
        }
    }
}
