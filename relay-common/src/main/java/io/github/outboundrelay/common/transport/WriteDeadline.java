package io.github.outboundrelay.common.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes to a socket with a time limit. A blocking socket has none for writes (a relay that stops reading would
 * hold the sender forever), so a write that takes longer than the limit has its socket closed, as Angus does for
 * {@code mail.smtp.writetimeout}, and fails with a {@link SocketTimeoutException}.
 *
 * <p>One daemon watchdog serves every connection: a write notes its start and registers itself, and the watchdog
 * looks every {@value #TICK_MILLIS} ms for a write older than its limit (so the limit holds to within a tick). A
 * timer task per write would wake the timer thread twice per mail (a futex wake-up and two context switches per
 * write, measured in the pipelined send path); this costs two set operations and no system call. The watchdog parks
 * when no write happened for a second, and the next write wakes it.
 */
final class WriteDeadline implements DataWriter.Sink {
    static final long TICK_MILLIS = 50;

    private final Socket socket;
    private final OutputStream out;
    private final long timeoutNanos;
    private final long timeoutMillis;
    private volatile long startedNanos;
    /** Set by the watchdog when it closed the socket: every later failure of this writer is that timeout. */
    private final AtomicBoolean expired = new AtomicBoolean();

    WriteDeadline(Socket socket, long timeoutMillis) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.timeoutMillis = timeoutMillis;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    @Override
    public void write(byte[] bytes, int length) throws IOException {
        if (expired.get()) {
            throw timedOut(null); // an earlier write of this message already ran out of time: the socket is closed
        }
        startedNanos = System.nanoTime();
        Watchdog.watch(this);
        try {
            out.write(bytes, 0, length);
            out.flush();
        } catch (IOException e) {
            // Past the limit it is the timeout, whoever closed the socket: under implicit TLS, Angus's own write
            // timeout (mail.smtp.writetimeout, the same limit) sits on the socket below the TLS one and may close it
            // a moment before the watchdog does.
            throw expired.get() || System.nanoTime() - startedNanos >= timeoutNanos ? timedOut(e) : e;
        } finally {
            Watchdog.forget(this);
        }
        if (expired.get()) {
            throw timedOut(null); // the write ended just as the watchdog closed the socket: nothing more goes through
        }
    }

    /** Called by the watchdog: closes the socket when the write under way is older than the limit. */
    private void check(long nowNanos) {
        if (nowNanos - startedNanos > timeoutNanos && expired.compareAndSet(false, true)) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing is how the write is stopped; a failure to close leaves nothing else to do.
            }
        }
    }

    private SocketTimeoutException timedOut(IOException cause) {
        SocketTimeoutException timeout = new SocketTimeoutException("write timed out after " + timeoutMillis
                + " ms: the relay stopped reading the message");
        if (cause != null) {
            timeout.initCause(cause);
        }
        return timeout;
    }

    /** The one thread that ends writes past their limit. */
    private static final class Watchdog {
        private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
        private static final Set<WriteDeadline> WRITING = ConcurrentHashMap.newKeySet();
        private static final Thread THREAD = start();
        private static volatile boolean parked;
        private static volatile long lastWriteNanos;

        static void watch(WriteDeadline deadline) {
            WRITING.add(deadline);
            lastWriteNanos = deadline.startedNanos;
            if (parked) {
                parked = false;
                LockSupport.unpark(THREAD); // only after a second without writes
            }
        }

        static void forget(WriteDeadline deadline) {
            WRITING.remove(deadline);
        }

        private static Thread start() {
            Thread t = new Thread(Watchdog::run, "relay-write-deadline");
            t.setDaemon(true);
            t.start();
            return t;
        }

        private static void run() {
            while (true) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
                long now = System.nanoTime();
                for (WriteDeadline deadline : WRITING) {
                    deadline.check(now);
                }
                if (WRITING.isEmpty() && now - lastWriteNanos > IDLE_NANOS) {
                    parked = true;
                    if (WRITING.isEmpty()) { // a write that registered before it saw "parked" is seen here
                        LockSupport.park();
                    }
                    parked = false;
                }
            }
        }
    }
}
