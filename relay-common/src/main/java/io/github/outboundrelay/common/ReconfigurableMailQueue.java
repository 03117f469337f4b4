package io.github.outboundrelay.common;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The durable mail queue of a host's saved settings (Jenkins's page, a Keycloak realm's Email tab), which an
 * administrator may change while mail flows. Each settings value gets a {@link MailQueue} of its own on the same
 * spool: a change drains the open queue, waits until it has let go of the spool, then opens the successor, which
 * recovers and sends what the old one left. Once closed, it refuses mail with one clear line. The host keeps only
 * its glue: how its settings become a queue ({@code opener}) and when they changed.
 *
 * <pre>{@code
 * ReconfigurableMailQueue<Saved> mail = new ReconfigurableMailQueue<>(
 *         saved -> MailQueue.builder().relay(saved.relay()).spoolDirectory(home.resolve("spool"))
 *                 .shutdownTimeout(Duration.ofSeconds(10)).build(),   // the drain of a switch
 *         "Jenkins is shutting down");
 * mail.replaceIfOpen(saved);   // the settings to use; opens nothing yet
 * mail.submit(message);        // opens the queue on first use
 * mail.replace(changed);       // an administrator saved: old queue drained, new one opened on the same spool
 * mail.close();                // the host stops: sends in flight finish, the rest stays spooled
 * }</pre>
 *
 * <p><b>Locks.</b> One read/write lock, and nothing else is taken while it is held except the queue's own. Submits
 * and dead-letter actions hold the read side: they run side by side and always find an open queue, never one that
 * is shutting down. A switch (replace, close, a first open) holds the write side for its whole length, drain and
 * release included, so mail submitted meanwhile waits for the successor instead of failing: at most the drain (the
 * old queue's {@link MailQueue.Builder#shutdownTimeout}) plus the time a send blocked at the bound still takes (the relay's read timeout), and that wait is bounded by
 * {@link #RELEASE_WAIT}. Why the successor must wait for the old queue's release: the old queue keeps its spool (a
 * file spool's lock, a database spool's leases) until its last sender returned and recorded its outcome, so a send
 * that outlives the drain is never lost nor written into the successor's spool; see {@link MailQueue#shutdown} and
 * docs/reliability.md, "Shutdown".
 *
 * @param <S> the host's settings: whatever its {@code opener} builds a queue from
 */
public final class ReconfigurableMailQueue<S> implements AutoCloseable {
    /**
     * How long a switch waits, after the drain, for a send still blocked on a slow relay to return before the
     * successor is opened anyway (a file spool then refuses it as in use; the next use tries again).
     */
    public static final Duration RELEASE_WAIT = Duration.ofMinutes(2);
    private static final System.Logger LOGGER = System.getLogger(DeliveryLog.LOGGER_NAME);

    private final Function<S, MailQueue> opener;
    private final String whyClosed;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private MailQueue current; // guarded by lock; null until opened, after a failed open and after close
    private MailQueue retired; // guarded by lock; the last queue shut down, until its successor opened
    private S settings;        // guarded by lock; what the next queue is opened with, null until given
    private boolean closed;    // guarded by lock

    /**
     * @param opener    builds and starts a queue for settings; throws when they cannot be used (its message then
     *                  reaches whoever submits). The queue's {@link MailQueue.Builder#shutdownTimeout} is how long
     *                  a switch or {@link #close} lets its sends in flight finish: the drain.
     * @param whyClosed the host's words for a closed queue, such as "Jenkins is shutting down"
     */
    public ReconfigurableMailQueue(Function<S, MailQueue> opener, String whyClosed) {
        this.opener = Objects.requireNonNull(opener, "opener");
        this.whyClosed = Objects.requireNonNull(whyClosed, "whyClosed");
    }

    /**
     * Uses {@code settings} from now: drains and closes the open queue, if any, and opens one with them.
     *
     * @throws IllegalStateException when closed
     * @throws RuntimeException      what the opener threw; the settings are kept and the next use tries again
     */
    public void replace(S settings) {
        Objects.requireNonNull(settings, "settings");
        lock.writeLock().lock();
        try {
            refuseIfClosed();
            this.settings = settings;
            retireLocked();
            openLocked();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Uses {@code settings} from now, replacing the open queue if there is one; opens none otherwise (a host still
     * starting, or setting fields one by one). An open that fails is logged; the next use tries again and reports it.
     */
    public void replaceIfOpen(S settings) {
        Objects.requireNonNull(settings, "settings");
        lock.writeLock().lock();
        try {
            this.settings = settings;
            if (closed || current == null) {
                return;
            }
            retireLocked();
            try {
                openLocked();
            } catch (RuntimeException e) {
                LOGGER.log(System.Logger.Level.WARNING, "The mail queue could not be opened with the new settings; "
                        + "queued mail stays in the spool until it can: " + e.getMessage());
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Opens the queue with the settings given last, unless it is open: spooled mail goes out without waiting for
     * a submit.
     *
     * @throws IllegalStateException when closed or no settings were given
     * @throws RuntimeException      what the opener threw
     */
    public void open() {
        lock.writeLock().lock();
        try {
            refuseIfClosed();
            openLocked();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether a queue is open now (it may not be: not used yet, or its settings could not be used). */
    public boolean isOpen() {
        lock.readLock().lock();
        try {
            return current != null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The settings given last, or null. */
    public S settings() {
        lock.readLock().lock();
        try {
            return settings;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * {@link MailQueue#submit}, opening the queue first if needed.
     *
     * @return the spool id
     * @throws IllegalStateException when closed, or no settings were given
     */
    public String submit(OutboundMessage message) {
        return use(q -> q.submit(message));
    }

    public long queued() {
        return use(MailQueue::queued);
    }

    public QueueMetrics metrics() {
        return use(MailQueue::metrics);
    }

    public List<DeadLetter> deadLetters(int limit) {
        return use(q -> q.deadLetters(limit));
    }

    /** {@link MailQueue#retryDeadLetter}. */
    public boolean retryDeadLetter(String id) {
        return use(q -> q.retryDeadLetter(id));
    }

    /** {@link MailQueue#purgeDeadLetter}. */
    public boolean purgeDeadLetter(String id) {
        return use(q -> q.purgeDeadLetter(id));
    }

    /** {@link MailQueue#purgeDeadLetters}. */
    public int purgeDeadLetters() {
        return use(MailQueue::purgeDeadLetters);
    }

    /**
     * The host stops (or the realm goes): the open queue stops taking mail, its sends in flight get its drain to
     * finish, the rest stays spooled; everything after this is refused. Idempotent.
     */
    @Override
    public void close() {
        shutdown();
    }

    /** {@link #close()}, telling whether every send in flight finished within the drain. */
    public boolean shutdown() {
        lock.writeLock().lock();
        try {
            closed = true;
            MailQueue old = current;
            current = null;
            if (old == null) {
                return true;
            }
            retired = old;
            return old.shutdown(old.shutdownTimeout);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * After {@link #close}: waits until the last queue has let go of its spool (a send blocked on a slow relay
     * returned), so that the spool may be deleted or opened elsewhere.
     *
     * @return false when {@code timeout} passed first
     */
    public boolean awaitReleased(Duration timeout) throws InterruptedException {
        lock.readLock().lock();
        try {
            return closed && (retired == null || retired.awaitReleased(timeout));
        } finally {
            lock.readLock().unlock();
        }
    }

    private <T> T use(Function<MailQueue, T> action) {
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
            refuseIfClosed();
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

    private void refuseIfClosed() {
        if (closed) {
            throw new IllegalStateException(whyClosed + ": the outbound mail queue is closed and takes no more mail");
        }
    }

    /** Opens a queue unless one is open; before, waits (bounded) until the retired one let go of the spool. */
    private void openLocked() {
        if (current != null) {
            return;
        }
        if (settings == null) {
            throw new IllegalStateException("the outbound mail queue has no settings yet");
        }
        if (retired != null) {
            try {
                if (!retired.awaitReleased(RELEASE_WAIT)) {
                    LOGGER.log(System.Logger.Level.WARNING, "A send of the previous mail queue is still running after "
                            + RELEASE_WAIT + "; opening the new queue anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the previous mail queue let go of its spool", e);
            }
        }
        current = opener.apply(settings);
        retired = null;
    }

    /** Shuts the open queue down within its drain; the next open waits for it to let go of the spool. */
    private void retireLocked() {
        MailQueue old = current;
        current = null;
        if (old != null) {
            old.shutdown(old.shutdownTimeout);
            retired = old;
        }
    }
}
