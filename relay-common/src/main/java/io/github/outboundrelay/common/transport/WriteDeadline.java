package io.github.outboundrelay.common.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes to a socket with a time limit. A blocking socket has none for writes (a relay that stops reading would
 * hold the sender forever), so a write that takes longer than the limit has its socket closed, as Angus does for
 * {@code mail.smtp.writetimeout}, and fails with a {@link SocketTimeoutException}. One daemon thread serves every
 * connection; arming and cancelling the timer costs about a microsecond per bulk write.
 */
final class WriteDeadline implements DataWriter.Sink {
    private static final ScheduledExecutorService TIMER = timer();

    private final Socket socket;
    private final OutputStream out;
    private final long timeoutMillis;

    WriteDeadline(Socket socket, long timeoutMillis) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void write(byte[] bytes, int length) throws IOException {
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> timer = TIMER.schedule(() -> {
            expired.set(true);
            try {
                socket.close();
            } catch (IOException e) {
                // Closing is how the write is stopped; a failure to close leaves nothing else to do.
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            out.write(bytes, 0, length);
            out.flush();
        } catch (IOException e) {
            if (expired.get()) {
                SocketTimeoutException timeout = new SocketTimeoutException("write timed out after " + timeoutMillis
                        + " ms: the relay stopped reading the message");
                timeout.initCause(e);
                throw timeout;
            }
            throw e;
        } finally {
            timer.cancel(false);
        }
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "relay-write-deadline");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true); // cancelled timers leave the queue at once, not after their delay
        return Executors.unconfigurableScheduledExecutorService(timer);
    }
}
