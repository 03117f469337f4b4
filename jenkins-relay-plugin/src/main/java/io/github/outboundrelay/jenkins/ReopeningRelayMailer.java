package io.github.outboundrelay.jenkins;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The mailer for the saved settings: opens a queue on first use (or when Jenkins has started, see
 * {@link MailQueueLifecycle}), replaces it when the settings change, and refuses mail once Jenkins stops.
 *
 * <p>Only one queue may hold the spool (its lock file), so a change closes the old queue first, letting its sends
 * in flight finish, and then opens the new one on the same spool: nothing queued is lost, and what the old queue
 * had deferred is picked up by the new one at once. Both happen under the write side of {@code lock}; every other
 * call holds the read side, so submits run concurrently with each other and wait out a switch instead of finding
 * the old queue closed or the spool still locked. No other lock is taken while {@code lock} is held.
 */
final class ReopeningRelayMailer implements RelayMailer {
    private static final Logger LOGGER = Logger.getLogger(ReopeningRelayMailer.class.getName());

    private final Supplier<RelayMailer> opener;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private RelayMailer current; // guarded by lock
    private boolean stopped;     // guarded by lock

    /** @param opener opens a mailer for the settings as they are now; throws when they cannot be used */
    ReopeningRelayMailer(Supplier<RelayMailer> opener) {
        this.opener = opener;
    }

    @Override
    public String submit(io.github.outboundrelay.common.OutboundMessage message) {
        return use(m -> m.submit(message));
    }

    @Override
    public Status status() {
        return use(RelayMailer::status);
    }

    @Override
    public boolean retryDeadLetter(String id) {
        return use(m -> m.retryDeadLetter(id));
    }

    @Override
    public boolean purgeDeadLetter(String id) {
        return use(m -> m.purgeDeadLetter(id));
    }

    @Override
    public int purgeDeadLetters() {
        return use(RelayMailer::purgeDeadLetters);
    }

    /**
     * Opens the queue unless it is open, so that spooled mail goes out without waiting for a job to submit.
     *
     * @throws RuntimeException what opening threw: invalid settings, no relay, a spool that cannot be used
     */
    void open() {
        lock.writeLock().lock();
        try {
            openLocked();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The settings changed: closes the open queue (sends in flight finish) and opens one with the new settings on
     * the same spool. With {@code evenIfClosed} false nothing is opened when no queue was open, as while
     * configuration as code sets fields one by one before Jenkins has started. A failure to open is logged; the
     * next use tries again and reports it.
     */
    void reopen(boolean evenIfClosed) {
        lock.writeLock().lock();
        try {
            boolean wasOpen = current != null;
            closeLocked();
            if (stopped || !(wasOpen || evenIfClosed)) {
                return;
            }
            try {
                openLocked();
            } catch (RuntimeException e) {
                LOGGER.log(Level.WARNING, "Outbound relay: the mail queue could not be opened with the new settings; "
                        + "queued mail stays in the spool until it can: {0}", e.getMessage());
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    boolean isOpen() {
        lock.readLock().lock();
        try {
            return current != null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Jenkins is stopping: closes the queue (what is not sent stays spooled) and refuses mail from now on. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            stopped = true;
            closeLocked();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private <T> T use(Function<RelayMailer, T> action) {
        lock.readLock().lock();
        try {
            if (current != null) {
                return action.apply(current);
            }
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            openLocked();
            lock.readLock().lock(); // Downgrade: no switch can happen between opening and using.
        } finally {
            lock.writeLock().unlock();
        }
        try {
            return action.apply(current);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void openLocked() {
        if (stopped) {
            throw new IllegalStateException("Jenkins is shutting down: the outbound mail queue is closed and takes no more mail");
        }
        if (current == null) {
            current = opener.get();
        }
    }

    private void closeLocked() {
        RelayMailer old = current;
        current = null;
        if (old != null) {
            old.close();
        }
    }
}
