package io.github.outboundrelay.common.transport;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Open connections to one relay, at most {@code maxConnections} of them in use or idle. Idle connections expire
 * after {@code idleTimeout}; {@link #cleanup(long)} takes the clock as an argument and returns the next deadline,
 * so tests drive time. Connections are closed outside the lock.
 */
public final class ConnectionPool {
    private final int maxConnections;
    private final long idleTimeoutNanos;
    private final Semaphore permits;
    private final Deque<RelayConnection> idle = new ArrayDeque<>(); // guarded by this, most recently used first
    private boolean closed; // guarded by this

    public ConnectionPool(int maxConnections, long idleTimeoutNanos) {
        this.maxConnections = maxConnections;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.permits = new Semaphore(maxConnections, true);
    }

    /**
     * Takes one of the {@code maxConnections} slots, waiting up to {@code waitNanos}. Returns an idle connection
     * when one is fresh, or null: the caller then opens one in the slot and must {@link #release} it.
     *
     * @throws PoolExhaustedException when every slot stayed busy for the whole wait
     */
    public RelayConnection acquire(long waitNanos, long nowNanos) throws InterruptedException, PoolExhaustedException {
        if (!permits.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
            throw new PoolExhaustedException(maxConnections);
        }
        List<RelayConnection> expired = new ArrayList<>();
        RelayConnection found = null;
        synchronized (this) {
            if (closed) {
                permits.release();
                throw new IllegalStateException("the relay client is closed");
            }
            while (found == null && !idle.isEmpty()) {
                RelayConnection candidate = idle.pollFirst();
                if (candidate.idleNanos(nowNanos) >= idleTimeoutNanos) {
                    expired.add(candidate);
                } else {
                    found = candidate;
                }
            }
        }
        expired.forEach(RelayConnection::close);
        return found;
    }

    /** Returns a slot; the connection goes back to the idle set when it can carry another mail. */
    public void release(RelayConnection connection, boolean reusable, long nowNanos) {
        boolean keep = false;
        if (connection != null && reusable) {
            synchronized (this) {
                if (!closed) {
                    connection.markUsed(nowNanos);
                    idle.addFirst(connection);
                    keep = true;
                }
            }
        }
        permits.release();
        if (connection != null && !keep) {
            connection.close();
        }
    }

    /** Closes idle connections past their timeout; returns nanos until the next one expires, or -1 when none is idle. */
    public long cleanup(long nowNanos) {
        List<RelayConnection> expired = new ArrayList<>();
        long next = -1;
        synchronized (this) {
            for (var it = idle.iterator(); it.hasNext(); ) {
                RelayConnection c = it.next();
                long remaining = idleTimeoutNanos - c.idleNanos(nowNanos);
                if (remaining <= 0) {
                    it.remove();
                    expired.add(c);
                } else if (next < 0 || remaining < next) {
                    next = remaining;
                }
            }
        }
        expired.forEach(RelayConnection::close);
        return next;
    }

    public synchronized int idleCount() {
        return idle.size();
    }

    public void close() {
        List<RelayConnection> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(idle);
            idle.clear();
        }
        all.forEach(RelayConnection::close);
    }

    /** Every connection slot stayed busy for the whole wait. */
    public static final class PoolExhaustedException extends Exception {
        PoolExhaustedException(int maxConnections) {
            super("all " + maxConnections + " connections to the relay stayed busy");
        }
    }
}
