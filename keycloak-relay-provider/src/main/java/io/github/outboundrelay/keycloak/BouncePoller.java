package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceMailboxStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Reads a realm's bounce mailbox every poll interval, on the node that holds the realm's {@link BounceMailboxLease}:
 * each node tries to take or extend the lease before a poll, and only the holder polls, so a report is never applied
 * by two nodes at once. The lease lasts two intervals plus a minute: when the polling node stops, another one takes
 * over within that time.
 */
final class BouncePoller implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BouncePoller.class);

    /** What a poll request found: the status after this node's poll, or the node that polls instead. */
    record Outcome(Optional<BounceMailboxStatus> status, String pollingNode) {
    }

    private final String realmId;
    private final String realmName;
    private final BounceHandling handling;
    private final Duration interval;
    private final Optional<BounceMailboxLease> lease;
    private volatile ScheduledFuture<?> task;
    private volatile String pollingNode = "";

    BouncePoller(String realmId, String realmName, BounceHandling handling, Duration interval, Optional<BounceMailboxLease> lease) {
        this.realmId = realmId;
        this.realmName = realmName;
        this.handling = handling;
        this.interval = interval;
        this.lease = lease;
    }

    /** Polls at once, then every interval, on {@code executor}. */
    void start(ScheduledExecutorService executor) {
        if (handling.mailboxConfigured()) {
            task = executor.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Polls now if this node holds (or can take) the lease; an admin's "poll now". */
    Outcome pollNow() {
        Optional<String> other = takeLease();
        if (other.isPresent()) {
            return new Outcome(Optional.empty(), other.get());
        }
        return new Outcome(handling.pollNow(), "");
    }

    /** The node that held the lease at this node's last attempt, when it was not this one; else empty. */
    String pollingNode() {
        return pollingNode;
    }

    private Optional<String> takeLease() {
        if (lease.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> other = lease.get().take(realmId, interval.multipliedBy(2).plusMinutes(1));
        pollingNode = other.orElse("");
        return other;
    }

    private void pollQuietly() {
        try {
            pollNow();
        } catch (RuntimeException e) {
            LOG.warnf("Realm %s: the bounce mailbox was not polled (%s); trying again in %d min", realmName, e,
                    interval.toMinutes());
        }
    }

    /** Stops polling and lets go of the lease, so that another node may take over at once. */
    @Override
    public void close() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
        handling.close();
        lease.ifPresent(l -> {
            try {
                l.release(realmId);
            } catch (RuntimeException e) {
                LOG.debugf("Realm %s: the bounce mailbox lease was not released (%s); it runs out by itself", realmName, e);
            }
        });
    }
}
