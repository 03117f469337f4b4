package io.github.outboundrelay.common.transport;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Open connections to one relay, at most {@code maxConnections} of them in use or idle. Idle connections expire
 * after {@code idleTimeout}; a connection carries mail for at most {@code reuseTimeLimit} after it was opened,
 * however busy it is (docs/architecture.md, "Chained mails"). {@link #cleanup(long)} takes the clock as
 * an argument and returns the next deadline, so tests drive time. Connections are closed outside the lock.
 */
public final class ConnectionPool {
    private final int maxConnections;
    private final long idleTimeoutNanos;
    private final long reuseTimeLimitNanos;
    private final Semaphore permits;
    private final Deque<RelayConnection> idle = new ArrayDeque<>(); // guarded by this, most recently used first
    private boolean closed; // guarded by this

    /**
     * @param reuseTimeLimitNanos how long after it was opened a connection may still carry mail: past it, it is closed
     *                            (QUIT) instead of going back to the idle set, and an idle one is not handed out
     */
    public ConnectionPool(int maxConnections, long idleTimeoutNanos, long reuseTimeLimitNanos) {
        if (reuseTimeLimitNanos < 0 || reuseTimeLimitNanos == Long.MAX_VALUE) { // MAX: nanosLeft's + 1 would overflow
            throw new IllegalArgumentException("reuse time limit out of range: " + reuseTimeLimitNanos + " ns");
        }
        this.maxConnections = maxConnections;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.reuseTimeLimitNanos = reuseTimeLimitNanos;
        this.permits = new Semaphore(maxConnections, true);
    }

    /**
     * Takes one of the {@code maxConnections} slots, waiting up to {@code waitNanos}. Returns an idle connection
     * when one is fresh (within its idle timeout and its reuse time limit), or null: the caller then opens one in the
     * slot and must {@link #release} it.
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
                if (nanosLeft(candidate, nowNanos) <= 0) {
                    expired.add(candidate);
                } else {
                    found = candidate;
                }
            }
        }
        expired.forEach(RelayConnection::close);
        return found;
    }

    /**
     * Returns a slot; the connection goes back to the idle set when it can carry another mail and is within its reuse
     * time limit, else it is closed.
     */
    public void release(RelayConnection connection, boolean reusable, long nowNanos) {
        boolean keep = false;
        if (connection != null && reusable && withinReuseTimeLimit(connection, nowNanos)) {
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

    /**
     * Closes idle connections past their idle timeout or their reuse time limit; returns nanos until the next one
     * expires, or -1 when none is idle.
     */
    public long cleanup(long nowNanos) {
        List<RelayConnection> expired = new ArrayList<>();
        long next = -1;
        synchronized (this) {
            for (var it = idle.iterator(); it.hasNext(); ) {
                RelayConnection c = it.next();
                long remaining = nanosLeft(c, nowNanos);
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

    /**
     * Whether {@code connection} may still carry mail: not past the reuse time limit since it was opened. A chain
     * asks before each next mail, so that it ends after the mail under way once the limit passed.
     * At the limit exactly it still may, as Postfix expires a session only when its expiry time is before now.
     */
    public boolean withinReuseTimeLimit(RelayConnection connection, long nowNanos) {
        return connection.ageNanos(nowNanos) <= reuseTimeLimitNanos;
    }

    /** Nanos until an idle connection may no longer be handed out; 0 or less: now. */
    private long nanosLeft(RelayConnection c, long nowNanos) {
        long idleLeft = idleTimeoutNanos - c.idleNanos(nowNanos);
        long reuseLeft = reuseTimeLimitNanos - c.ageNanos(nowNanos) + 1; // 1 at the limit: expired only past it
        return Math.min(idleLeft, reuseLeft);
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
