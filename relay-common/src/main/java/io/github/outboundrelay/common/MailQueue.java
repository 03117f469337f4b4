package io.github.outboundrelay.common;

import io.github.outboundrelay.common.mime.MimeRenderer;

import io.github.outboundrelay.common.queue.QueueCounters;
import io.github.outboundrelay.common.queue.QueueDispatcher;
import io.github.outboundrelay.common.queue.RelayCircuitBreaker;
import io.github.outboundrelay.common.queue.RelayLane;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.transport.FailoverRelays;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Asynchronous, durable mail delivery: {@link #submit} stores the mail in the spool and returns once it would
 * survive a crash; background senders deliver it over the relays' pooled connections, retry transient failures
 * with backoff, fail over between relays, respect each relay's rate limits and keep what was refused as dead
 * letters. Delivery is at-least-once: a mail whose acceptance was lost (connection dropped after DATA, process
 * killed before the spool heard of it) is sent again, with the same Message-ID. See {@code docs/reliability.md}.
 *
 * <pre>{@code
 * MailQueue queue = MailQueue.builder()
 *         .relay(primary, Throttle.perMinute(30))           // tried first
 *         .relay(backup)                                    // takes the mail while the primary cools down
 *         .spoolDirectory(jenkinsHome.resolve("outbound-relay/spool"))
 *         .build();                                         // recovers what the spool holds, starts sending
 * String id = queue.submit(message);                        // durable when it returns; throws SpoolException if not
 * QueueMetrics metrics = queue.metrics();
 * queue.deadLetters(100).forEach(d -> System.out.println(d.id() + " " + d.remedy()));
 * queue.close();                                            // drains sends in flight, leaves the rest spooled
 * }</pre>
 *
 * <p><b>Closing and the spool.</b> A send blocked in socket I/O cannot be interrupted; it ends at the relay's read
 * timeout. So the queue keeps its spool (a file spool's lock, a database spool's leases) until the last sender has
 * returned and recorded its outcome, even when {@link #shutdown} returned at its bound before that: only then are
 * the connections and a spool the queue owns closed ({@link #awaitReleased}). After {@link #shutdown} began no
 * submit, retry or purge reaches the spool. docs/reliability.md, "Shutdown", tells the whole story.
 */
public final class MailQueue implements AutoCloseable {
    public static final Duration DEFAULT_RELAY_COOLDOWN = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MAX_RELAY_COOLDOWN = Duration.ofMinutes(5);
    public static final Duration DEFAULT_AUTH_FAILURE_PAUSE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /** How long dead letters and quarantined entries keep their message bodies (and the links in them). */
    public static final Duration DEFAULT_DEAD_LETTER_BODY_RETENTION = Duration.ofHours(24);
    /** The dispatcher looks at the spool at least this often, for spools other processes also fill. */
    static final long MAX_IDLE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final System.Logger LOGGER = System.getLogger(DeliveryLog.LOGGER_NAME);
    private static final AtomicInteger QUEUES = new AtomicInteger();

    private final Spool spool;
    private final boolean ownsSpool;
    private final List<RelayLane> lanes;
    private final QueueCounters counters = new QueueCounters();
    private final QueueDispatcher dispatcher;
    private final BodyRetention retention;
    private final ExecutorService senders;
    private final Thread loop;
    private final DeliveryLog log;
    private final Clock clock;
    private final LongSupplier ticker;
    final Duration shutdownTimeout; // the drain ReconfigurableMailQueue gives this queue
    /**
     * Submits and dead-letter actions hold the read side while they check {@code closed} and write to the spool;
     * {@link #shutdown} takes the write side to set it. So once shutdown has set it, no caller is between its check
     * and its write, and none will be. Nothing else is done under the write side.
     */
    private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
    private volatile boolean closed; // written under closing's write side
    /** What may still touch the spool: the sender pool and the dispatcher thread; the last to stop releases it. */
    private final AtomicInteger spoolUsers;
    private final CountDownLatch released = new CountDownLatch(1);

    private MailQueue(Builder b) {
        this.log = b.log != null ? b.log : new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY);
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.shutdownTimeout = b.shutdownTimeout;
        this.ownsSpool = b.spool == null || b.ownsSpool;
        this.spool = b.spool != null ? b.spool : FileSpool.open(b.spoolDirectory,
                b.bodyCipher != null ? b.bodyCipher : BodyCipher.NONE);
        this.retention = new BodyRetention(spool, b.deadLetterBodyRetention);
        List<RelayLane> created = new ArrayList<>();
        try {
            spool.recover((id, where, reason) -> {
                counters.quarantined.increment();
                log.record(new DeliveryEvent(clock.instant(), DeliveryEvent.Outcome.QUARANTINED, "", "", List.of(), null,
                        "", 0, 0, "spool entry " + id + " could not be read (" + reason + "); moved to " + where));
            });
            long now = ticker.getAsLong();
            for (int i = 0; i < b.relays.size(); i++) {
                RelaySettings settings = b.relays.get(i);
                created.add(new RelayLane(settings, new RelayClient(settings, log, Clock.systemUTC(), System::nanoTime,
                        b.connectionReuseTimeLimit),
                        new RelayCircuitBreaker(b.relayCooldown, b.maxRelayCooldown, b.authFailurePause),
                        b.throttles.get(i), b.throttleBudgets, now));
            }
        } catch (RuntimeException e) {
            created.forEach(l -> l.client.close());
            if (ownsSpool) {
                spool.close();
            }
            throw e;
        }
        this.lanes = List.copyOf(created);
        int threads = lanes.stream().mapToInt(l -> l.settings.maxConnections()).sum();
        int queueNumber = QUEUES.incrementAndGet();
        AtomicInteger senderNumber = new AtomicInteger();
        this.spoolUsers = new AtomicInteger(b.manualDispatch ? 1 : 2);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "outbound-relay-queue-" + queueNumber + "-sender-" + senderNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        }) {
            @Override
            protected void terminated() {
                // Runs once shutdown was asked and the last sender has returned: no send writes to the spool anymore.
                spoolUserStopped();
            }
        };
        pool.allowCoreThreadTimeOut(true);
        this.senders = pool;
        counters.bounces(b.bounces);
        this.dispatcher = new QueueDispatcher(spool, new FailoverRelays(lanes), b.retrySchedule, counters, log, senders,
                clock, ticker, b.jitter, b.bounces.gate(b.sendGate));
        if (b.manualDispatch) {
            this.loop = null;
        } else {
            this.loop = new Thread(this::runLoop, "outbound-relay-queue-" + queueNumber + "-dispatcher");
            loop.setDaemon(true);
            dispatcher.onWake(() -> LockSupport.unpark(loop));
            loop.start();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Queues a mail durably. When this returns, the mail is on disk (fsynced) and will be delivered even if the
     * process is killed the next moment; it keeps its Message-ID across retries.
     *
     * @return the spool id, which names the mail in dead letters
     * @throws SpoolException        when the spool is full or cannot be written: the mail was NOT queued
     * @throws InvalidInputException when no relay could send this mail (no From anywhere, a UTF-8 address the first
     *                               relay does not allow, larger than a relay's {@code maxMessageBytes}): nothing
     *                               was queued
     * @throws IllegalStateException when the queue is closed
     */
    public String submit(OutboundMessage message) {
        Objects.requireNonNull(message, "message");
        String id;
        closing.readLock().lock();
        try {
            refuseIfClosed("the mail was not queued");
            checkSendable(message);
            // Rendered once, here: every attempt sends these bytes (unless a relay's own From differs, see RelayClient).
            Instant now = clock.instant();
            byte[] rendered = MimeRenderer.render(message, lanes.get(0).settings, now);
            id = spool.store(message, rendered, now);
        } finally {
            closing.readLock().unlock();
        }
        counters.submitted.increment();
        if (dispatcher.hasIdleSender()) {
            wake(); // Otherwise a sender finishing its mail takes this one: no need to wake the dispatcher.
        }
        return id;
    }

    /** Thrown by every call that would change the spool once {@link #shutdown} has begun: one clear line. */
    private void refuseIfClosed(String consequence) {
        if (closed) {
            throw new IllegalStateException("the mail queue is closed; " + consequence);
        }
    }

    private void checkSendable(OutboundMessage message) {
        RelaySettings first = lanes.get(0).settings;
        for (RelayLane lane : lanes) {
            lane.settings.checkSize(message); // Any relay may carry it: it must fit each of them.
        }
        if (message.from() == null) {
            for (RelayLane lane : lanes) {
                if (lane.settings.from() == null) {
                    throw new InvalidInputException("from", "is not set on the message nor in the settings of relay "
                            + lane.name(), "Set a From address in the relay settings");
                }
            }
        }
        if (message.needsUtf8() && !first.allowUtf8()) {
            throw new InvalidInputException("allowUtf8", "is off but the message has a non-ASCII address",
                    "Turn on UTF-8 addresses (the relay must offer SMTPUTF8) or use ASCII addresses");
        }
    }

    /** How many mails wait or are being delivered: what {@link #metrics()} calls the queue depth, alone. */
    public long queued() {
        return spool.depth().queued();
    }

    /** A snapshot of totals, depth, age of the oldest mail, bounce rate and each relay's health. */
    public QueueMetrics metrics() {
        Instant now = clock.instant();
        long nowNanos = ticker.getAsLong();
        List<QueueMetrics.RelayHealth> health = new ArrayList<>();
        for (RelayLane lane : lanes) {
            RelayCircuitBreaker.Snapshot s = lane.breaker.snapshot(nowNanos);
            QueueMetrics.Status status = switch (s.state()) {
                case CLOSED -> QueueMetrics.Status.HEALTHY;
                case OPEN -> QueueMetrics.Status.COOLING_DOWN;
                // A relay that has not failed yet starts with a trial too; it is not in trouble.
                case HALF_OPEN -> s.consecutiveFailures() == 0 ? QueueMetrics.Status.HEALTHY : QueueMetrics.Status.TRIAL;
                case PAUSED -> QueueMetrics.Status.PAUSED_AUTH_FAILED;
            };
            Instant retryAt = s.nanosUntilRetry() > 0 ? now.plusNanos(s.nanosUntilRetry()) : null;
            health.add(new QueueMetrics.RelayHealth(lane.name(), status, retryAt, s.consecutiveFailures(),
                    s.lastCategory(), s.lastFailure(), lane.inFlight(), lane.sent.sum(), lane.failed.sum(), lane.throttle));
        }
        return counters.snapshot(now, spool.depth(), health);
    }

    /** Up to {@code limit} dead letters, oldest first. */
    public List<DeadLetter> deadLetters(int limit) {
        return spool.deadLetters(limit);
    }

    /**
     * Puts a dead letter back in the queue with a fresh lifetime, after the cause was fixed (a password, a sender
     * permission). @return false when there is no such dead letter
     */
    public boolean retryDeadLetter(String id) {
        Optional<DeadLetter> requeued;
        closing.readLock().lock();
        try {
            refuseIfClosed("the dead letter stays where it is");
            requeued = spool.requeueDeadLetter(id, clock.instant());
        } finally {
            closing.readLock().unlock();
        }
        requeued.ifPresent(letter -> {
            adminEvent(DeliveryEvent.Outcome.REQUEUED, letter);
            wake();
        });
        return requeued.isPresent();
    }

    /** Deletes a dead letter for good. @return false when there is no such dead letter */
    public boolean purgeDeadLetter(String id) {
        Optional<DeadLetter> purged;
        closing.readLock().lock();
        try {
            refuseIfClosed("the dead letter stays where it is");
            purged = spool.purgeDeadLetter(id);
        } finally {
            closing.readLock().unlock();
        }
        purged.ifPresent(letter -> adminEvent(DeliveryEvent.Outcome.PURGED, letter));
        return purged.isPresent();
    }

    /** Deletes every dead letter. @return how many */
    public int purgeDeadLetters() {
        int purged = 0;
        closing.readLock().lock();
        try {
            refuseIfClosed("the dead letters stay where they are");
            List<DeadLetter> batch;
            while (!(batch = spool.deadLetters(1000)).isEmpty()) {
                int before = purged;
                for (DeadLetter d : batch) {
                    Optional<DeadLetter> gone = spool.purgeDeadLetter(d.id());
                    if (gone.isPresent()) {
                        adminEvent(DeliveryEvent.Outcome.PURGED, gone.get());
                        purged++;
                    }
                }
                if (purged == before) {
                    break;
                }
            }
        } finally {
            closing.readLock().unlock();
        }
        return purged;
    }

    private void adminEvent(DeliveryEvent.Outcome outcome, DeadLetter letter) {
        log.record(new DeliveryEvent(clock.instant(), outcome, letter.messageId(), letter.relay(), letter.recipients(),
                letter.category(), "", letter.attempts(), 0, "dead letter " + letter.id()));
    }

    /** The delivery log every attempt and queue decision goes to. */
    public DeliveryLog deliveryLog() {
        return log;
    }

    /**
     * Stops taking mail, lets sends in flight finish for up to {@code timeout}, and returns. Mail not delivered stays
     * in the spool for the next queue on it. A send still running at the bound keeps running until its relay answers
     * or its read timeout passes; the queue keeps the spool (lock, leases) and its connections until then, so that
     * send's outcome is recorded and nothing the next queue relies on is touched afterwards. {@link #awaitReleased}
     * waits for that moment. Idempotent.
     *
     * @return true when every send in flight finished in time and the spool is released
     */
    public boolean shutdown(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        closing.writeLock().lock();
        try {
            if (closed) {
                return released.getCount() == 0;
            }
            closed = true;
        } finally {
            closing.writeLock().unlock();
        }
        dispatcher.stop();
        boolean interrupted = false;
        boolean drained = false;
        try {
            if (loop != null) {
                LockSupport.unpark(loop);
                loop.join(Math.max(1, timeout.toMillis()));
            }
            // No shutdownNow: it cannot stop a socket read, and an interrupt only turns a send's outcome into noise.
            senders.shutdown();
            drained = released.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (!drained) {
            LOGGER.log(System.Logger.Level.WARNING, "Mail queue closed with sends still running after " + timeout
                    + "; it keeps its spool until they return (at most the relay's read timeout) and records their outcome");
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return drained;
    }

    /**
     * Waits until the queue, shut down, has let go of everything: its last sender returned, its connections and a
     * spool it owns are closed. A successor may open the same spool after this.
     *
     * @return false when {@code timeout} passed first, or the queue was not shut down
     */
    public boolean awaitReleased(Duration timeout) throws InterruptedException {
        return closed && released.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The sender pool or the dispatcher thread stopped for good; the last of them releases the spool. */
    private void spoolUserStopped() {
        if (spoolUsers.decrementAndGet() != 0) {
            return;
        }
        try {
            lanes.forEach(l -> l.client.close());
            if (ownsSpool) {
                spool.close();
            }
        } catch (RuntimeException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Mail queue could not close its spool cleanly: " + e);
        } finally {
            released.countDown();
        }
    }

    /** {@link #shutdown(Duration)} with the builder's shutdown timeout (30 s unless set). */
    @Override
    public void close() {
        shutdown(shutdownTimeout);
    }

    private void runLoop() {
        try {
            while (!dispatcher.isStopping()) {
                retention.runIfDue(clock.instant());
                long wait;
                try {
                    wait = dispatcher.runDue(clock.instant(), ticker.getAsLong());
                } catch (RuntimeException e) {
                    LOGGER.log(System.Logger.Level.ERROR, "Mail queue dispatcher failed; trying again in 1 s", e);
                    wait = Duration.ofSeconds(1).toNanos();
                }
                if (wait > 0) {
                    LockSupport.parkNanos(this, Math.min(wait, MAX_IDLE_NANOS));
                }
            }
        } finally {
            spoolUserStopped();
        }
    }

    private void wake() {
        if (loop != null) {
            LockSupport.unpark(loop);
        }
    }

    // For tests that drive time themselves (builder's manualDispatch).

    /** What the dispatcher loop does besides dispatching, at the clock's current time: the body retention. */
    void runHousekeeping() {
        retention.runIfDue(clock.instant());
    }

    /** Runs the dispatcher at the clock's current time until nothing more is dispatched and no send is running. */
    public int runUntilQuiet(Duration timeout) throws InterruptedException {
        long start = dispatcher.dispatchedTotal();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long before = dispatcher.dispatchedTotal();
            dispatcher.runDue(clock.instant(), ticker.getAsLong());
            if (!dispatcher.awaitIdle(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                throw new AssertionError("sends still running after " + timeout);
            }
            if (dispatcher.dispatchedTotal() == before) {
                return (int) (dispatcher.dispatchedTotal() - start);
            }
        }
    }

    /**
     * Options for a queue. Defaults live here; each setter checks its value; {@link #build()} checks them together.
     */
    public static final class Builder {
        private final List<RelaySettings> relays = new ArrayList<>();
        private final List<Throttle> throttles = new ArrayList<>();
        private Spool spool;
        private boolean ownsSpool;
        private Path spoolDirectory;
        private ThrottleBudget.Source throttleBudgets = ThrottleBudget.Source.LOCAL;
        private RetrySchedule retrySchedule = RetrySchedule.defaults();
        private SendGate sendGate = SendGate.OPEN;
        private BounceWatch bounces = BounceWatch.NONE;
        private Duration relayCooldown = DEFAULT_RELAY_COOLDOWN;
        private Duration maxRelayCooldown = DEFAULT_MAX_RELAY_COOLDOWN;
        private Duration authFailurePause = DEFAULT_AUTH_FAILURE_PAUSE;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Duration deadLetterBodyRetention = DEFAULT_DEAD_LETTER_BODY_RETENTION;
        private BodyCipher bodyCipher;
        private DeliveryLog log;
        private Clock clock = Clock.systemUTC();
        private LongSupplier ticker = System::nanoTime;
        private DoubleSupplier jitter = () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble();
        private boolean manualDispatch;
        private Duration connectionReuseTimeLimit = RelayClient.CONNECTION_REUSE_TIME_LIMIT;

        private Builder() {
        }

        /** Adds a relay without a rate limit. Relays are tried in the order added. */
        public Builder relay(RelaySettings settings) {
            return relay(settings, Throttle.NONE);
        }

        /** Adds a relay with rate limits. Relays are tried in the order added. */
        public Builder relay(RelaySettings settings, Throttle throttle) {
            relays.add(Objects.requireNonNull(settings, "settings"));
            throttles.add(Objects.requireNonNull(throttle, "throttle"));
            return this;
        }

        /**
         * A spool the caller opened and closes: a {@link FileSpool}, or one on a database. Close it only after
         * {@link MailQueue#awaitReleased} said yes: a send that outlived {@link MailQueue#shutdown} still writes to it.
         * Prefer {@link #ownedSpool}.
         */
        public Builder spool(Spool spool) {
            this.spool = Objects.requireNonNull(spool, "spool");
            this.ownsSpool = false;
            return this;
        }

        /**
         * A spool the caller opened and hands over: the queue closes it when its last sender has returned after
         * {@link MailQueue#shutdown}, or at once when {@link #build} fails.
         */
        public Builder ownedSpool(Spool spool) {
            this.spool = Objects.requireNonNull(spool, "spool");
            this.ownsSpool = true;
            return this;
        }

        /**
         * Where the relays' throttles keep their budgets. Default {@link ThrottleBudget.Source#LOCAL}: this queue's
         * own memory. Queues in several processes that share a spool and a relay account pass a shared source, so
         * that a limit holds for all of them together.
         */
        public Builder throttleBudgets(ThrottleBudget.Source source) {
            this.throttleBudgets = Objects.requireNonNull(source, "throttleBudgets");
            return this;
        }

        /** Opens a {@link FileSpool} in this directory, which the queue closes with itself. */
        public Builder spoolDirectory(Path directory) {
            this.spoolDirectory = Objects.requireNonNull(directory, "spoolDirectory");
            return this;
        }

        /**
         * Seals the bodies the spool opened by {@link #spoolDirectory} writes (a spool passed to {@link #spool} has its
         * own). Default {@link BodyCipher#NONE}; see docs/reliability.md, "Mail at rest".
         */
        public Builder bodyCipher(BodyCipher cipher) {
            this.bodyCipher = Objects.requireNonNull(cipher, "bodyCipher");
            return this;
        }

        /**
         * How long dead letters and quarantined entries keep their message bodies: after it only their records stay
         * (what failed, why, what to do), and a dead letter can no longer be retried. Default 24 h; zero deletes a
         * body within seconds of the give-up.
         */
        public Builder deadLetterBodyRetention(Duration retention) {
            Objects.requireNonNull(retention, "deadLetterBodyRetention");
            if (retention.isNegative()) {
                throw new InvalidInputException("deadLetterBodyRetention", "is negative (" + retention + ")",
                        "Give zero or more hours; the default is 24");
            }
            this.deadLetterBodyRetention = retention;
            return this;
        }

        public Builder retrySchedule(RetrySchedule retrySchedule) {
            this.retrySchedule = Objects.requireNonNull(retrySchedule, "retrySchedule");
            return this;
        }

        /**
         * What decides, before each attempt, whether a mail is still worth sending (an expired link, a newer mail to
         * the same person). Default {@link SendGate#OPEN}: everything is sent.
         */
        /**
         * Bounce tracking: mail to a suppressed recipient is not sent (a dead letter, or a FAILED event for that
         * recipient alone), accepted recipients are counted for the rates, and {@link QueueMetrics#bounces()} shows
         * them. Default {@link BounceWatch#NONE}.
         */
        public Builder bounces(BounceWatch watch) {
            this.bounces = Objects.requireNonNull(watch, "bounces");
            return this;
        }

        public Builder sendGate(SendGate gate) {
            this.sendGate = Objects.requireNonNull(gate, "sendGate");
            return this;
        }

        /**
         * How long a relay that failed (connection, TLS, timeout, dropped connection) is skipped: {@code initial}
         * after the first failure, doubling per consecutive failure up to {@code max}. Default 10 s to 5 min.
         */
        public Builder relayCooldown(Duration initial, Duration max) {
            this.relayCooldown = positive("relayCooldown", initial);
            this.maxRelayCooldown = positive("maxRelayCooldown", max);
            return this;
        }

        /** How long a relay that refused the credentials is left alone. Default 5 min. */
        public Builder authFailurePause(Duration pause) {
            this.authFailurePause = positive("authFailurePause", pause);
            return this;
        }

        /** How long {@link #close()} waits for sends in flight. Default 30 s. */
        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = positive("shutdownTimeout", timeout);
            return this;
        }

        /** Where events go; by default a log of {@value DeliveryLog#DEFAULT_CAPACITY} events of the queue's own. */
        public Builder deliveryLog(DeliveryLog log) {
            this.log = Objects.requireNonNull(log, "deliveryLog");
            return this;
        }

        /** The wall clock for due times, ages and events (persisted in the spool). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The monotonic clock for throttles and cool-downs. Tests pass a fake with {@link #clock}. */
        public Builder ticker(LongSupplier ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The random source of the retry jitter, numbers in [0, 1). */
        Builder jitter(DoubleSupplier jitter) {
            this.jitter = Objects.requireNonNull(jitter, "jitter");
            return this;
        }

        /** No dispatcher thread: the test calls {@link MailQueue#runUntilQuiet} after moving its clock. */
        Builder manualDispatch() {
            this.manualDispatch = true;
            return this;
        }

        /** Another connection reuse time limit than Postfix's 300 s, for tests: no user setting. */
        Builder connectionReuseTimeLimit(Duration limit) {
            this.connectionReuseTimeLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * Recovers the spool (which may take seconds for a large one) and starts delivering.
         *
         * @throws IllegalStateException when no relay or no spool is set, or both a spool and a directory are
         * @throws SpoolException        when the spool directory cannot be used
         */
        public MailQueue build() {
            if (relays.isEmpty()) {
                throw new IllegalStateException("no relay: add at least one with relay(settings)");
            }
            if (spool != null && spoolDirectory != null) {
                throw new IllegalStateException("both spool(...) and spoolDirectory(...) are set: use one of them");
            }
            if (spool == null && spoolDirectory == null) {
                throw new IllegalStateException("no spool: set spoolDirectory(path), or spool(...) for one of your own");
            }
            if (spool != null && bodyCipher != null) {
                throw new IllegalStateException("both spool(...) and bodyCipher(...) are set: open the spool with its cipher");
            }
            if (relayCooldown.compareTo(maxRelayCooldown) > 0) {
                throw new IllegalStateException("relayCooldown (" + relayCooldown + ") is longer than maxRelayCooldown ("
                        + maxRelayCooldown + ")");
            }
            return new MailQueue(this);
        }

        private static Duration positive(String field, Duration value) {
            Objects.requireNonNull(value, field);
            if (value.isNegative() || value.isZero()) {
                throw new InvalidInputException(field, "must be a positive duration, was " + value, "Give a duration such as 10 s");
            }
            return value;
        }
    }
}
