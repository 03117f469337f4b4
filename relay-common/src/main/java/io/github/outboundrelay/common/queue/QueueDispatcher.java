package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.redaction.Redaction;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.failure.FailureScope;
import io.github.outboundrelay.common.spool.SpoolException;

import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.SendGate;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.transport.FailoverRelays;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Moves mail from the spool to the relays and decides what happens after each attempt. {@link #runDue} hands every
 * mail that is due to a relay that may take it and returns how long until the next one could be; the thread that
 * calls it is a trivial loop, and tests call it with their own clock. The sends run on the sender executor; a sender
 * that finishes takes the next due mail itself, so under load a mail costs no hand-off between threads. Outcomes go
 * through {@link FailureScope} to a completion, a retry, a failover or a dead letter. Before each attempt the
 * {@link SendGate} may stop a mail that lost its point (an expired link, a newer mail to the same person).
 *
 * <p>A relay that counts recipients needs a claimed mail's recipient count before it can say yes; a mail it cannot
 * take yet stays claimed here ({@code waiting}) and goes first when the budget allows, so a large mail is never
 * overtaken forever by small ones.
 *
 * <p>Locks: every dispatch decision (pick a relay, claim an entry, take its tokens and connection slot) is made
 * under {@code dispatchLock}, which also guards the relays' token buckets and {@code waiting}; no send and no wait
 * happens under it. {@code idle} guards the in-flight count.
 */
public final class QueueDispatcher {
    /** Dispatches at most this many mails per call, so a large backlog does not starve the loop's other checks. */
    static final int MAX_PER_RUN = 256;
    private static final System.Logger LOGGER = System.getLogger(DeliveryLog.LOGGER_NAME);

    private final Spool spool;
    private final FailoverRelays relays;
    private final RetrySchedule schedule;
    private final QueueCounters counters;
    private final DeliveryLog log;
    private final Executor senders;
    private final Clock clock;
    private final LongSupplier ticker;
    private final DoubleSupplier jitter;
    private final SendGate gate;
    private final int senderThreads;
    private final AtomicInteger activeChains = new AtomicInteger();
    private final Object dispatchLock = new Object();
    private final Object idle = new Object();
    private Spool.Entry waiting;             // guarded by dispatchLock: claimed, waiting for recipient permits
    private int inFlight;                    // guarded by idle
    private long dispatchedTotal;            // guarded by idle
    private volatile boolean stopping;
    private volatile Runnable wake = () -> { };

    public QueueDispatcher(Spool spool, FailoverRelays relays, RetrySchedule schedule, QueueCounters counters, DeliveryLog log,
                    Executor senders, Clock clock, LongSupplier ticker, DoubleSupplier jitter, SendGate gate) {
        this.spool = spool;
        this.relays = relays;
        this.schedule = schedule;
        this.counters = counters;
        this.log = log;
        this.senders = senders;
        this.clock = clock;
        this.ticker = ticker;
        this.jitter = jitter;
        this.gate = gate;
        this.senderThreads = relays.lanes().stream().mapToInt(l -> l.settings.maxConnections()).sum();
    }

    public void onWake(Runnable wake) {
        this.wake = wake;
    }

    /** A mail to send now on a relay, or none and how long until one may be due. */
    private record Next(Spool.Entry entry, RelayLane lane, long waitNanos) {
    }

    /**
     * Dispatches what is due at {@code now}. Returns 0 to be called again at once, a positive number of nanos until
     * something may be due, or {@link Long#MAX_VALUE} when only a submit or a finishing send can change anything.
     */
    public long runDue(Instant now, long nowNanos) {
        for (int dispatched = 0; dispatched < MAX_PER_RUN; dispatched++) {
            Next next = next(now, nowNanos);
            if (next.entry() == null) {
                return next.waitNanos();
            }
            activeChains.incrementAndGet();
            try {
                senders.execute(() -> deliverAndContinue(next));
            } catch (RejectedExecutionException e) {
                // Shutting down: the entry stays in the spool, claimed only in this process's memory.
                activeChains.decrementAndGet();
                next.lane().finished();
                finished();
            }
        }
        return 0;
    }

    /**
     * Whether a new mail needs the dispatcher: some sender is idle. When every sender is busy, the first to finish
     * takes the new mail itself, and waking the dispatcher would only cost two context switches.
     */
    public boolean hasIdleSender() {
        return activeChains.get() < senderThreads;
    }

    /** Picks a relay and claims the next due mail for it, taking its token and slot; counts it in flight. */
    private Next next(Instant now, long nowNanos) {
        synchronized (dispatchLock) {
            while (!stopping) {
                FailoverRelays.Pick pick = relays.pick(nowNanos);
                if (pick.lane() == null) {
                    return new Next(null, null, pick.waitNanos());
                }
                Spool.Entry entry = waiting;
                if (entry == null) {
                    List<Spool.Entry> claimed;
                    try {
                        claimed = spool.claimDue(now, 1);
                    } catch (RuntimeException e) {
                        pick.lane().release(nowNanos);
                        throw e;
                    }
                    if (claimed.isEmpty()) {
                        pick.lane().release(nowNanos); // a shared budget's permit goes back to the other processes
                        Instant due = spool.nextDue().orElse(null);
                        if (due == null) {
                            return new Next(null, null, Long.MAX_VALUE);
                        }
                        if (due.isAfter(now)) {
                            return new Next(null, null, Math.max(1, Duration.between(now, due).toNanos()));
                        }
                        continue; // The due entry was unreadable and quarantined: look at the next one.
                    }
                    entry = claimed.get(0);
                }
                long recipientWait;
                try {
                    recipientWait = pick.lane().takeRecipients(entry.message().recipients().size(), nowNanos);
                } catch (RuntimeException e) {
                    waiting = entry; // still claimed: it goes first next time
                    pick.lane().release(nowNanos);
                    throw e;
                }
                if (recipientWait > 0) {
                    waiting = entry;
                    pick.lane().release(nowNanos);
                    return new Next(null, null, recipientWait);
                }
                waiting = null;
                pick.lane().dispatched(nowNanos);
                if (entry.attempts() > 0) {
                    counters.retried.increment();
                }
                synchronized (idle) {
                    inFlight++;
                    dispatchedTotal++;
                }
                return new Next(entry, pick.lane(), 0);
            }
            return new Next(null, null, Long.MAX_VALUE);
        }
    }

    /** Sends, then keeps taking due mail on this thread while there is some; wakes the dispatcher when done. */
    private void deliverAndContinue(Next first) {
        Next current = first;
        try {
            if (stopping) {
                // Handed over just before the queue closed: not started, so not sent. It stays stored, claimed only
                // in this queue's memory (or under this spool's lease), and the next queue on the spool sends it.
                current.lane().finished();
                return;
            }
            while (true) {
                try {
                    deliver(current.entry(), current.lane());
                } finally {
                    current.lane().finished();
                }
                // The next mail is counted in flight before this one stops counting: never idle in between.
                Next next = stopping ? new Next(null, null, 0) : nextOrNone();
                finished();
                current = null;
                if (next.entry() == null) {
                    break;
                }
                if (hasIdleSender()) {
                    // A backlog and an idle sender (after a relay's trial mail went through, say): more connections help.
                    wake.run();
                }
                current = next;
            }
        } finally {
            if (current != null) {
                finished(); // An Error escaped the send: the mail stays claimed until the restart.
            }
            activeChains.decrementAndGet();
            wake.run(); // The dispatcher recomputes its deadlines: retries, cool-downs, throttles.
        }
    }

    private Next nextOrNone() {
        try {
            return next(clock.instant(), ticker.getAsLong());
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.ERROR, "Mail queue could not take the next mail; the dispatcher will", e);
            return new Next(null, null, 0);
        }
    }

    /** One attempt, on a sender thread. */
    void deliver(Spool.Entry entry, RelayLane lane) {
        int attempt = entry.attempts() + 1;
        try {
            if (!passesGate(entry, lane)) {
                return;
            }
            Receipt receipt;
            try {
                receipt = lane.client.send(entry.message(), attempt);
            } catch (DeliveryException e) {
                lane.failed.increment();
                counters.failed(e.category());
                afterFailure(entry, lane, attempt, e);
                return;
            } catch (InvalidInputException e) {
                // These settings cannot send this mail (no From, UTF-8 off): sending again will not help.
                lane.failed.increment();
                counters.failed(FailureCategory.MESSAGE_REJECTED);
                lane.breaker.abandoned(); // The relay was not asked: this says nothing about its health.
                giveUp(entry, lane, attempt, FailureCategory.MESSAGE_REJECTED, "", e.getMessage(), DeadLetter.Reason.REJECTED);
                return;
            }
            lane.breaker.succeeded();
            lane.sent.increment();
            counters.sent(clock.instant()); // Before the spool forgets it: metrics never show it neither queued nor sent.
            spool.complete(entry.id());
            for (Receipt.RejectedRecipient r : receipt.rejected()) {
                record(DeliveryEvent.Outcome.FAILED, entry, lane, attempt, List.of(r.address()), r.category(),
                        r.reply() == null ? "" : r.reply().toString(),
                        "refused by the relay while the mail went to the other recipients; not retried");
            }
        } catch (RuntimeException e) {
            lane.breaker.abandoned();
            LOGGER.log(System.Logger.Level.ERROR, "Unexpected error delivering " + entry.message().messageId()
                    + "; it stays queued and is retried", e);
            try {
                spool.defer(entry.id(), attempt, clock.instant().plus(schedule.delayAfter(attempt, jitter.getAsDouble())),
                        "unexpected error: " + e);
            } catch (RuntimeException again) {
                LOGGER.log(System.Logger.Level.ERROR, "Cannot record the retry of " + entry.id() + ": " + again);
            }
        }
    }

    /**
     * Asks the {@link SendGate}; for a mail it stops, gives the relay's permits back (the relay never saw the mail)
     * and ends the mail: a dead letter for an expired one, nothing for a superseded one.
     */
    private boolean passesGate(Spool.Entry entry, RelayLane lane) {
        Instant now = clock.instant();
        SendGate.Verdict verdict;
        try {
            verdict = gate.check(entry.message(), entry.firstSubmitted(), now);
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.ERROR, "The send gate failed on " + entry.message().messageId()
                    + "; the mail is sent", e);
            return true;
        }
        if (verdict.decision() == SendGate.Decision.SEND) {
            return true;
        }
        lane.breaker.abandoned(); // The relay was not asked: this says nothing about its health.
        synchronized (dispatchLock) {
            lane.release(ticker.getAsLong(), entry.message().recipients().size());
        }
        if (verdict.decision() == SendGate.Decision.EXPIRED) {
            giveUp(entry, lane, entry.attempts(), FailureCategory.EXPIRED, "",
                    verdict.reason() + ". " + FailureCategory.EXPIRED.remedy(), DeadLetter.Reason.EXPIRED);
        } else {
            spool.complete(entry.id());
            record(DeliveryEvent.Outcome.SUPERSEDED, entry, lane, entry.attempts(), recipients(entry), null, "",
                    verdict.reason());
        }
        return false;
    }

    private void afterFailure(Spool.Entry entry, RelayLane lane, int attempt, DeliveryException e) {
        long nowNanos = ticker.getAsLong();
        Instant now = clock.instant();
        String reply = masked(lane, e.reply().map(SmtpReply::toString).orElse(""));
        String line = e.category() + " at " + e.relay() + (reply.isEmpty() ? "" : ": " + reply);
        switch (FailureScope.of(e)) {
            case RELAY_CREDENTIALS -> {
                Duration pause = lane.breaker.authRefused(nowNanos, e.category(), line);
                retry(entry, lane, attempt, e, now, now, DeliveryEvent.Outcome.DEFERRED,
                        "relay paused for " + pause.toSeconds() + " s so the account is not locked; the mail waits "
                                + "for the next relay or the end of the pause. " + e.remedy());
            }
            case RELAY -> {
                Duration cooldown = lane.breaker.failed(nowNanos, e.category(), line);
                retry(entry, lane, attempt, e, now, now, DeliveryEvent.Outcome.DEFERRED,
                        "relay skipped for " + cooldown.toMillis() + " ms; the mail goes to the next relay, or "
                                + "waits for this one's trial");
            }
            case MESSAGE_TRANSIENT -> {
                lane.breaker.succeeded();
                Duration delay = schedule.delayAfter(attempt, jitter.getAsDouble());
                Instant due = now.plus(delay);
                retry(entry, lane, attempt, e, now, due, DeliveryEvent.Outcome.RETRY_SCHEDULED,
                        "retry " + (attempt + 1) + " in " + delay.toMillis() + " ms, at " + due);
            }
            case MESSAGE_PERMANENT -> {
                lane.breaker.succeeded();
                giveUp(entry, lane, attempt, e.category(), reply, e.remedy(), DeadLetter.Reason.REJECTED);
            }
        }
    }

    private void retry(Spool.Entry entry, RelayLane lane, int attempt, DeliveryException e, Instant now, Instant due,
                       DeliveryEvent.Outcome outcome, String detail) {
        String reply = masked(lane, e.reply().map(SmtpReply::toString).orElse(""));
        if (schedule.isExpired(entry.firstSubmitted(), now)) {
            giveUp(entry, lane, attempt, e.category(), reply,
                    "Given up after " + schedule.lifetime() + " of failed attempts. " + e.remedy(), DeadLetter.Reason.EXPIRED);
            return;
        }
        try {
            spool.defer(entry.id(), attempt, due, e.category() + " at " + e.relay() + (reply.isEmpty() ? "" : ": " + reply));
        } catch (SpoolException x) {
            LOGGER.log(System.Logger.Level.WARNING, x.getMessage());
        }
        counters.deferred.increment();
        record(outcome, entry, lane, attempt, recipients(entry), e.category(), reply, detail);
    }

    private void giveUp(Spool.Entry entry, RelayLane lane, int attempt, FailureCategory category, String reply,
                        String remedy, DeadLetter.Reason reason) {
        Instant now = clock.instant();
        OutboundMessage m = entry.message();
        DeadLetter letter = new DeadLetter(entry.id(), m.messageId(), recipients(entry, lane), m.subject(), lane.name(),
                category, reply, remedy, reason, attempt, entry.firstSubmitted(), now);
        try {
            spool.deadLetter(entry.id(), letter);
        } catch (SpoolException x) {
            // Cannot write the dead letter: keep the mail queued and look at it again later, rather than lose it.
            LOGGER.log(System.Logger.Level.WARNING, x.getMessage());
            try {
                spool.defer(entry.id(), attempt, now.plus(schedule.maxDelay()), category + ": " + reply);
            } catch (SpoolException again) {
                LOGGER.log(System.Logger.Level.WARNING, again.getMessage());
            }
            return;
        }
        counters.deadLettered(reason, now);
        record(reason == DeadLetter.Reason.EXPIRED ? DeliveryEvent.Outcome.EXPIRED : DeliveryEvent.Outcome.DEAD_LETTERED,
                entry, lane, attempt, recipients(entry), category, reply,
                "dead letter " + entry.id() + ": " + remedy);
    }

    private void finished() {
        synchronized (idle) {
            inFlight--;
            idle.notifyAll();
        }
    }

    private void record(DeliveryEvent.Outcome outcome, Spool.Entry entry, RelayLane lane, int attempt,
                        List<String> recipients, FailureCategory category, String reply, String detail) {
        List<String> shown = Redaction.recipients(recipients, lane.settings.maskRecipients());
        log.record(new DeliveryEvent(clock.instant(), outcome, entry.message().messageId(), lane.name(), shown, category,
                masked(lane, reply), attempt, 0, masked(lane, detail)));
    }

    private static List<String> recipients(Spool.Entry entry) {
        return entry.message().recipients().stream().map(MailAddress::address).toList();
    }

    private static List<String> recipients(Spool.Entry entry, RelayLane lane) {
        List<String> all = recipients(entry);
        return Redaction.recipients(all, lane.settings.maskRecipients());
    }

    private static String masked(RelayLane lane, String text) {
        return Redaction.text(text, lane.settings.maskRecipients());
    }

    /** Stops dispatching; sends already running finish. */
    public void stop() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** Waits until no send is running. @return false when {@code timeout} passed first */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    public long dispatchedTotal() {
        synchronized (idle) {
            return dispatchedTotal;
        }
    }

    int inFlight() {
        synchronized (idle) {
            return inFlight;
        }
    }
}
