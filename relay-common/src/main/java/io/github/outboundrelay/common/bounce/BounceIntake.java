package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMailboxFailure;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMailboxStatus;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Polls the bounce mailbox on a schedule and hands the reports to the tracker; keeps the status an admin page
 * shows (last poll, the last failure with its remedy, reports read per kind). One poll at a time; a failed poll
 * changes nothing and the next one tries again.
 *
 * <pre>{@code
 * BounceIntake intake = new BounceIntake(new BounceMailbox(settings, clock), tracker, clock);
 * intake.start(Duration.ofMinutes(5));
 * intake.status().lastFailure();   // empty when the last poll worked
 * intake.close();
 * }</pre>
 */
public final class BounceIntake implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.bounces");

    private final BounceMailbox mailbox;
    private final BounceTracker tracker;
    private final Clock clock;
    private final Object pollLock = new Object();
    private BounceMailboxStatus status;                 // guarded by this
    private ScheduledExecutorService timer; // guarded by this

    public BounceIntake(BounceMailbox mailbox, BounceTracker tracker, Clock clock) {
        this.mailbox = Objects.requireNonNull(mailbox, "mailbox");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.clock = Objects.requireNonNull(clock, "clock");
        Map<BounceKind, Long> none = new EnumMap<>(BounceKind.class);
        this.status = new BounceMailboxStatus(null, null, null, "", "", 0, none);
    }

    /** Polls now and then every {@code interval}, on a daemon thread, until {@link #close()}. */
    public synchronized void start(Duration interval) {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outbound-relay-bounce-intake");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One poll, on the calling thread (the admin page's "poll now", and the tests); the status after it. */
    public BounceMailboxStatus pollNow() {
        synchronized (pollLock) {
            try {
                MailboxRead read = mailbox.poll(tracker);
                tracker.saveCounts(); // The sent counts since the last poll.
                succeeded(read);
            } catch (BounceMailboxException e) {
                failed(e.category(), e.detail());
            } catch (IOException e) {
                failed(BounceMailboxFailure.STORAGE, "the suppression list could not be written: " + e.getMessage());
            }
            return status();
        }
    }

    public synchronized BounceMailboxStatus status() {
        return status;
    }

    private void pollQuietly() {
        try {
            pollNow();
        } catch (RuntimeException e) {
            // A bug must not end the schedule: the next poll tries again.
            LOGGER.log(System.Logger.Level.ERROR, "The bounce mailbox poll failed unexpectedly", e);
            failed(BounceMailboxFailure.PROTOCOL, e.toString());
        }
    }

    private synchronized void succeeded(MailboxRead read) {
        Map<BounceKind, Long> reports = new EnumMap<>(BounceKind.class);
        reports.putAll(status.reports());
        read.reports().forEach(r -> reports.merge(r.kind(), 1L, Long::sum));
        Instant now = clock.instant();
        status = new BounceMailboxStatus(now, now, null, "", "", status.mailsRead() + read.mails().size(), reports);
    }

    private synchronized void failed(BounceMailboxFailure category, String detail) {
        LOGGER.log(System.Logger.Level.WARNING, "bounce mailbox " + category + ": " + detail + " Remedy: " + category.remedy());
        status = new BounceMailboxStatus(clock.instant(), status.lastSuccess(), category, detail, category.remedy(), status.mailsRead(),
                status.reports());
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
