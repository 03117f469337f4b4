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
import io.github.outboundrelay.common.transport.MailFeed;
import io.github.outboundrelay.common.RelayClient;

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
                Next next = claim(pick.lane(), now, nowNanos);
                if (next.entry() == null && next.waitNanos() == 0) {
                    continue; // The due entry was unreadable and quarantined: look at the next one.
                }
                if (next.entry() != null) {
                    pick.lane().dispatched(nowNanos);
                }
                return next;
            }
            return new Next(null, null, Long.MAX_VALUE);
        }
    }

    /**
     * The next due mail of {@code lane} for the chain a sender runs on the connection it holds
     * ({@link RelayClient#sendChain}): claimed, with its own tokens and recipient permits, counted in flight; the
     * connection slot is the chain's. None (null) when the lane should take no more now: a relay before it is
     * healthy again or this one is not ({@link FailoverRelays#isFirstHealthy}), a throttle, nothing due, stopping.
     */
    private Spool.Entry nextInChain(RelayLane lane) {
        try {
            synchronized (dispatchLock) {
                while (!stopping) {
                    long nowNanos = ticker.getAsLong();
                    if (!relays.isFirstHealthy(lane, nowNanos) || lane.reserveChained(nowNanos) != 0) {
                        return null;
                    }
                    Next next = claim(lane, clock.instant(), nowNanos);
                    if (next.entry() != null) {
                        lane.breaker.dispatched();
                        return next.entry();
                    }
                    if (next.waitNanos() != 0) {
                        return null;
                    }
                }
                return null;
            }
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.ERROR, "Mail queue could not take the next mail; the dispatcher will", e);
            return null;
        }
    }

    /**
     * With {@code lane}'s tokens for one mail reserved: claims the next due mail (the one waiting for recipient
     * permits first), takes its recipient permits and counts it in flight. When no mail goes, the tokens go back
     * and the answer says how long until one may ({@link Long#MAX_VALUE}: until a submit), or 0: look again.
     * Under {@code dispatchLock}.
     */
    private Next claim(RelayLane lane, Instant now, long nowNanos) {
        Spool.Entry entry = waiting;
        if (entry == null) {
            List<Spool.Entry> claimed;
            try {
                claimed = spool.claimDue(now, 1);
            } catch (RuntimeException e) {
                lane.release(nowNanos);
                throw e;
            }
            if (claimed.isEmpty()) {
                lane.release(nowNanos); // a shared budget's permit goes back to the other processes
                Instant due = spool.nextDue().orElse(null);
                if (due == null) {
                    return new Next(null, null, Long.MAX_VALUE);
                }
                if (due.isAfter(now)) {
                    return new Next(null, null, Math.max(1, Duration.between(now, due).toNanos()));
                }
                return new Next(null, null, 0);
            }
            entry = claimed.get(0);
        }
        long recipientWait;
        try {
            recipientWait = lane.takeRecipients(entry.message().recipients().size(), nowNanos);
        } catch (RuntimeException e) {
            waiting = entry; // still claimed: it goes first next time
            lane.release(nowNanos);
            throw e;
        }
        if (recipientWait > 0) {
            waiting = entry;
            lane.release(nowNanos);
            return new Next(null, null, recipientWait);
        }
        waiting = null;
        if (entry.attempts() > 0) {
            counters.retried.increment();
        }
        synchronized (idle) {
            inFlight++;
            dispatchedTotal++;
        }
        return new Next(entry, lane, 0);
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

    /**
     * One attempt of {@code entry} on a sender thread, and, where the relay offers PIPELINING, attempts of the lane's
     * next due mails chained behind it on the same connection, one round trip each ({@link Feed},
     * docs/architecture.md, "Chained mails"). Every mail's outcome goes through the same steps
     * ({@link #afterSent}, {@link #afterFailure}, {@link #afterInvalid}).
     */
    void deliver(Spool.Entry entry, RelayLane lane) {
        Feed feed = new Feed(entry, lane);
        try {
            lane.client.sendChain(feed);
        } catch (RuntimeException e) {
            feed.unexpected(e);
        }
    }

    /**
     * The mails of one sender's connection: the dispatched mail, then, while the client asks (its relay pipelines),
     * the lane's next due mails, each through the {@link SendGate} before it goes. A chained mail stops counting in
     * flight when its outcome is handled; the first one when {@link #deliverAndContinue} took the next.
     */
    private final class Feed implements MailFeed {
        private final RelayLane lane;
        private final List<Claimed> unanswered = new java.util.ArrayList<>(2); // given to the client, no outcome yet
        private Spool.Entry first;

        Feed(Spool.Entry first, RelayLane lane) {
            this.first = first;
            this.lane = lane;
        }

        @Override
        public Mail next() {
            while (true) {
                boolean chained = first == null;
                Spool.Entry entry = chained ? nextInChain(lane) : first;
                first = null;
                if (entry == null) {
                    return null;
                }
                OutboundMessage message;
                try {
                    message = passesGate(entry, lane);
                } catch (RuntimeException e) {
                    retryAfterUnexpected(entry, lane, entry.attempts() + 1, e);
                    message = null;
                }
                if (message != null && RecipientFanOut.applies(lane.settings, message)) {
                    try {
                        if (fannedOut(entry, message, lane)) {
                            message = null; // its copies are due now, and taken like any mail
                        }
                    } catch (RuntimeException e) {
                        retryAfterUnexpected(entry, lane, entry.attempts() + 1, e);
                        message = null;
                    }
                }
                if (message == null) {
                    if (!chained) {
                        return null; // as mail by mail: the sender goes on with the next due mail of any relay
                    }
                    finished();
                    continue;
                }
                // The bytes rendered at submit, unless the gate left suppressed recipients out: then the headers
                // must not name them either, and this one mail is rendered again.
                byte[] rendered = message == entry.message() ? entry.rendered() : null;
                Claimed mail = new Claimed(entry, message, rendered, entry.attempts() + 1, chained);
                unanswered.add(mail);
                return mail;
            }
        }

        @Override
        public void sent(Mail mail, Receipt receipt) {
            settle(mail, c -> afterSent(c.entry(), lane, c.attempt(), receipt));
        }

        @Override
        public void failed(Mail mail, DeliveryException failure) {
            settle(mail, c -> {
                lane.failed.increment();
                counters.failed(failure.category());
                afterFailure(c.entry(), lane, c.attempt(), failure);
            });
        }

        @Override
        public void invalid(Mail mail, InvalidInputException failure) {
            settle(mail, c -> afterInvalid(c.entry(), lane, c.attempt(), failure));
        }

        /** Handles one mail's outcome; when handling it fails unexpectedly, the mail stays queued and is retried. */
        private void settle(Mail mail, java.util.function.Consumer<Claimed> outcome) {
            Claimed c = answered(mail);
            try {
                outcome.accept(c);
            } catch (RuntimeException e) {
                retryAfterUnexpected(c.entry(), lane, c.attempt(), e);
            } finally {
                done(c);
            }
        }

        /** The client failed without an outcome for the mails it holds: each stays queued and is retried. */
        void unexpected(RuntimeException e) {
            for (Claimed c : List.copyOf(unanswered)) {
                retryAfterUnexpected(c.entry(), lane, c.attempt(), e);
                answered(c);
                done(c);
            }
        }

        private Claimed answered(Mail mail) {
            Claimed c = (Claimed) mail;
            unanswered.remove(c);
            return c;
        }

        private void done(Claimed c) {
            if (c.chained()) {
                finished();
            }
        }
    }

    /** A claimed mail as the client sends it: the message after the gate, the bytes rendered at submit or null. */
    private record Claimed(Spool.Entry entry, OutboundMessage message, byte[] rendered, int attempt, boolean chained)
            implements MailFeed.Mail {
    }

    /** The relay took the mail: done, counted, and each refused recipient logged. */
    private void afterSent(Spool.Entry entry, RelayLane lane, int attempt, Receipt receipt) {
        lane.breaker.succeeded();
        lane.sent.increment();
        counters.sent(clock.instant(), receipt.accepted().size()); // Before the spool forgets it: metrics never show it neither queued nor sent.
        spool.complete(entry.id());
        for (Receipt.RejectedRecipient r : receipt.rejected()) {
            record(DeliveryEvent.Outcome.FAILED, entry, lane, attempt, List.of(r.address()), r.category(),
                    r.reply() == null ? "" : r.reply().toString(),
                    "refused by the relay while the mail went to the other recipients; not retried");
        }
    }

    /** These settings cannot send this mail (no From, UTF-8 off): sending again will not help. */
    private void afterInvalid(Spool.Entry entry, RelayLane lane, int attempt, InvalidInputException e) {
        lane.failed.increment();
        counters.failed(FailureCategory.MESSAGE_REJECTED);
        lane.breaker.abandoned(); // The relay was not asked: this says nothing about its health.
        giveUp(entry, lane, attempt, FailureCategory.MESSAGE_REJECTED, "", e.getMessage(), DeadLetter.Reason.REJECTED);
    }

    /** A failure that is nobody's outcome (a bug, a spool that cannot be read): the mail stays queued and is retried. */
    private void retryAfterUnexpected(Spool.Entry entry, RelayLane lane, int attempt, RuntimeException e) {
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

    /**
     * Asks the {@link SendGate}; for a mail it stops, gives the relay's permits back (the relay never saw the mail)
     * and ends the mail: a dead letter for an expired or suppressed one, nothing for a superseded one. Returns the
     * mail to send (without its suppressed recipients), or null when it stops.
     */
    private OutboundMessage passesGate(Spool.Entry entry, RelayLane lane) {
        Instant now = clock.instant();
        SendGate.Verdict verdict;
        try {
            verdict = gate.check(entry.message(), entry.firstSubmitted(), now);
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.ERROR, "The send gate failed on " + entry.message().messageId()
                    + "; the mail is sent", e);
            return entry.message();
        }
        if (verdict.decision() == SendGate.Decision.SEND) {
            return verdict.suppressed().isEmpty() ? entry.message() : withoutSuppressed(entry, lane, verdict);
        }
        lane.breaker.abandoned(); // The relay was not asked: this says nothing about its health.
        synchronized (dispatchLock) {
            lane.release(ticker.getAsLong(), entry.message().recipients().size());
        }
        switch (verdict.decision()) {
            case EXPIRED -> giveUp(entry, lane, entry.attempts(), FailureCategory.EXPIRED, "",
                    verdict.reason() + ". " + FailureCategory.EXPIRED.remedy(), DeadLetter.Reason.EXPIRED);
            case SUPPRESSED -> giveUp(entry, lane, entry.attempts(), FailureCategory.RECIPIENT_SUPPRESSED, "",
                    verdict.reason() + ". " + FailureCategory.RECIPIENT_SUPPRESSED.remedy(), DeadLetter.Reason.SUPPRESSED);
            default -> {
                spool.complete(entry.id());
                record(DeliveryEvent.Outcome.SUPERSEDED, entry, lane, entry.attempts(), recipients(entry), null, "",
                        verdict.reason());
            }
        }
        return null;
    }

    /**
     * The mail without its suppressed recipients, each of which gets a FAILED event.
     * When nobody is left, the gate should have said SUPPRESSED: the mail goes to the dead letters all the same.
     */
    private OutboundMessage withoutSuppressed(Spool.Entry entry, RelayLane lane, SendGate.Verdict verdict) {
        java.util.Set<MailAddress> drop = java.util.Set.copyOf(verdict.suppressed());
        OutboundMessage m = entry.message();
        java.util.function.Function<List<MailAddress>, List<MailAddress>> keep =
                list -> list.stream().filter(a -> !drop.contains(a)).toList();
        if (keep.apply(m.recipients()).isEmpty()) {
            lane.breaker.abandoned();
            synchronized (dispatchLock) {
                lane.release(ticker.getAsLong(), m.recipients().size());
            }
            giveUp(entry, lane, entry.attempts(), FailureCategory.RECIPIENT_SUPPRESSED, "",
                    verdict.reason() + ". " + FailureCategory.RECIPIENT_SUPPRESSED.remedy(), DeadLetter.Reason.SUPPRESSED);
            return null;
        }
        // Their recipient permits stay spent: giving part of a mail's permits back would need a second kind of
        // release, and one mail's few recipients early on the rate limit costs nothing.
        for (MailAddress address : m.recipients()) {
            if (drop.contains(address)) {
                record(DeliveryEvent.Outcome.FAILED, entry, lane, entry.attempts() + 1, List.of(address.address()),
                        FailureCategory.RECIPIENT_SUPPRESSED, "", "not sent to this recipient: "
                                + FailureCategory.RECIPIENT_SUPPRESSED.remedy());
            }
        }
        return new OutboundMessage(m.messageId(), m.from(), keep.apply(m.to()), keep.apply(m.cc()), keep.apply(m.bcc()),
                m.replyTo(), m.subject(), m.text(), m.html(), m.headers());
    }

    /**
     * Replaces a mail to several recipients, on a lane with VERP on, by one stored copy per recipient
     * ({@link RecipientFanOut}), then completes it and gives the relay's permits back (the relay never saw it: each
     * copy takes its own). The copies are stored before the original is completed: a crash in between can only send
     * a recipient the mail twice (the original is fanned out again after the restart), never lose one. When a copy
     * cannot be stored (a full spool) the ones stored are removed again and the mail goes as it is, in one
     * transaction with the plain envelope sender, as without VERP: a mail is never held back for its VERP.
     * docs/architecture.md, "One envelope per recipient".
     *
     * @return whether the copies replaced it; false: send {@code message} as it is
     */
    private boolean fannedOut(Spool.Entry entry, OutboundMessage message, RelayLane lane) {
        Instant now = clock.instant();
        byte[] rendered;
        try {
            rendered = RecipientFanOut.rendering(message, message == entry.message() ? entry.rendered() : null,
                    lane.settings, now);
        } catch (InvalidInputException e) {
            return false; // The send refuses it as it refuses any mail these settings cannot send.
        }
        List<String> ids;
        try {
            ids = RecipientFanOut.store(spool, RecipientFanOut.copies(message), rendered, entry.firstSubmitted());
        } catch (RecipientFanOut.Partial e) {
            for (String id : e.stored) {
                try {
                    spool.complete(id); // unless a sender took it already: then that recipient may get it twice
                } catch (RuntimeException again) {
                    LOGGER.log(System.Logger.Level.WARNING, "Cannot remove copy " + id + ": " + again.getMessage());
                }
            }
            LOGGER.log(System.Logger.Level.WARNING, "Mail " + message.messageId() + " goes with the plain envelope "
                    + "sender: its copies, one per recipient for VERP, could not be stored (" + e.getMessage() + ")");
            return false;
        }
        spool.complete(entry.id());
        lane.breaker.abandoned(); // The relay was not asked: this says nothing about its health.
        synchronized (dispatchLock) {
            lane.release(ticker.getAsLong(), entry.message().recipients().size());
        }
        record(DeliveryEvent.Outcome.FANNED_OUT, entry, lane, entry.attempts(), addresses(message), null, "",
                "VERP: queued as " + ids.size() + " mails of one recipient each, every one with its own envelope "
                        + "sender, retries and dead letter (spool entries " + String.join(", ", ids) + ")");
        return true;
    }

    private static List<String> addresses(OutboundMessage message) {
        return message.recipients().stream().map(MailAddress::address).toList();
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
