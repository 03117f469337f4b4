package io.github.outboundrelay.common;

import io.github.outboundrelay.common.bounce.BounceIntake;
import io.github.outboundrelay.common.bounce.BounceMailbox;
import io.github.outboundrelay.common.bounce.BounceTracker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Bounce handling for one queue, as the adapters use it: the suppression list and the rates (through
 * {@link #watch()}, given to {@link MailQueue.Builder#bounces}) and, when a bounce mailbox is configured, its polling
 * and status. The parser, the IMAP reader and the policy behind it live in {@code common.bounce}; see
 * docs/bounces.md.
 *
 * <pre>{@code
 * BounceHandling bounces = BounceHandling.builder()
 *         .suppressionDirectory(home.resolve("bounces"))   // or .suppressionList(list) kept elsewhere,
 *                                                           // with .countStore(store) to share the rates' counts
 *         .mailbox(mailboxSettings)                         // optional: without it, only the list and the rates
 *         .deliveryLog(log).maskRecipients(true).build();
 * MailQueue queue = MailQueue.builder().relay(settings).spoolDirectory(spool).bounces(bounces.watch()).build();
 * bounces.start(Duration.ofMinutes(5));
 * ...
 * bounces.close();
 * }</pre>
 */
public final class BounceHandling implements AutoCloseable {
    /** How often a node writes its counts to a {@link Builder#countStore} unless told otherwise. */
    public static final Duration DEFAULT_COUNT_FLUSH_PERIOD = Duration.ofSeconds(30);

    private final BounceTracker tracker;
    private final BounceIntake intake; // null: no mailbox configured

    private BounceHandling(BounceTracker tracker, BounceIntake intake) {
        this.tracker = tracker;
        this.intake = intake;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What the queue is given: the suppression check before each send and the counts behind the rates. */
    public BounceWatch watch() {
        return tracker;
    }

    /** Whether a bounce mailbox is configured, so that {@link #status()} and {@link #pollNow()} have something to say. */
    public boolean mailboxConfigured() {
        return intake != null;
    }

    /** Polls the mailbox now and then every {@code interval} on a daemon thread; nothing without a mailbox. */
    public void start(Duration interval) {
        if (intake != null) {
            intake.start(interval);
        }
    }

    /** One poll on the calling thread (an admin's "poll now"); empty without a mailbox. */
    public Optional<BounceMailboxStatus> pollNow() {
        return intake == null ? Optional.empty() : Optional.of(intake.pollNow());
    }

    /** The mailbox's status; empty without a mailbox. */
    public Optional<BounceMailboxStatus> status() {
        return intake == null ? Optional.empty() : Optional.of(intake.status());
    }

    /** The entry for an address (any case): suppressed, or counting soft bounces. */
    public Optional<Suppression> get(String address) {
        return tracker.suppressions().get(address);
    }

    /** Up to {@code limit} entries whose address contains {@code text} (any case), suppressed or counting soft bounces. */
    public List<Suppression> search(String text, int limit) {
        return tracker.suppressions().search(text == null ? "" : text, limit);
    }

    /** Takes an address off the list (it was fixed); true when it was there. Mail to it is sent again. */
    public boolean remove(String address) throws IOException {
        return tracker.remove(address);
    }

    /** Stops polling and saves the counts (with a count store: flushes this node's deltas); the list stays where it is kept. */
    @Override
    public void close() {
        if (intake != null) {
            intake.close();
        }
        tracker.close();
    }

    public static final class Builder {
        private Path suppressionDirectory;
        private SuppressionList suppressionList;
        private BounceMailboxSettings mailbox;
        private BounceLimits limits = BounceLimits.DEFAULT;
        private DeliveryLog deliveryLog;
        private boolean maskRecipients = true;
        private Consumer<Suppression> onSuppressed = s -> { };
        private Clock clock = Clock.systemUTC();
        private BounceCountStore countStore;
        private Duration countFlushPeriod = DEFAULT_COUNT_FLUSH_PERIOD;

        private Builder() {
        }

        /** The list and the rate counts in files in this owner-only directory (Jenkins: under JENKINS_HOME). */
        public Builder suppressionDirectory(Path directory) {
            this.suppressionDirectory = Objects.requireNonNull(directory, "directory");
            this.suppressionList = null;
            return this;
        }

        /** A list kept elsewhere (Keycloak: its database, shared by the cluster); the rate counts stay in memory unless {@link #countStore}. */
        public Builder suppressionList(SuppressionList list) {
            this.suppressionList = Objects.requireNonNull(list, "list");
            this.suppressionDirectory = null;
            return this;
        }

        /**
         * Where the hourly counts behind the rates are kept and shared (Keycloak: its database, so that every node of
         * a cluster shows the same rates and a restart keeps them). Without it they are kept in memory, and in a file
         * beside a {@link #suppressionDirectory}. Sending never waits for the store: see {@link #countFlushPeriod}.
         */
        public Builder countStore(BounceCountStore store) {
            this.countStore = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * How often this node's counts are written to the {@link #countStore} (also after each poll's reports and at
         * {@link BounceHandling#close()}); the longest another node's rates lag behind, plus a read cache of at most
         * 10 s. Default {@link #DEFAULT_COUNT_FLUSH_PERIOD}.
         */
        public Builder countFlushPeriod(Duration period) {
            if (period == null || period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("countFlushPeriod must be positive: " + period);
            }
            this.countFlushPeriod = period;
            return this;
        }

        /** The mailbox the relay's bounce reports arrive in; without it the list changes only by hand. */
        public Builder mailbox(BounceMailboxSettings settings) {
            this.mailbox = settings;
            return this;
        }

        public Builder limits(BounceLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Where each report is recorded as a {@link DeliveryEvent.Outcome#BOUNCE_REPORTED} event: the queue's own log,
         * so that a page shows both. Required.
         */
        public Builder deliveryLog(DeliveryLog log) {
            this.deliveryLog = Objects.requireNonNull(log, "log");
            return this;
        }

        /** Whether addresses are masked in logs and events, as the relay settings say. Default true. */
        public Builder maskRecipients(boolean mask) {
            this.maskRecipients = mask;
            return this;
        }

        /** Called once each time an address becomes suppressed, on the polling thread. */
        public Builder onSuppressed(Consumer<Suppression> listener) {
            this.onSuppressed = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public BounceHandling build() {
            if (deliveryLog == null) {
                throw new IllegalStateException("bounce handling needs deliveryLog(...): the queue's own log");
            }
            BounceTracker tracker;
            if (suppressionDirectory != null && countStore != null) {
                throw new IllegalStateException("countStore(...) goes with suppressionList(...): a suppression directory "
                        + "keeps its counts in a file beside the list");
            } else if (suppressionDirectory != null) {
                tracker = BounceTracker.open(suppressionDirectory, limits, deliveryLog, maskRecipients, clock);
            } else if (suppressionList != null && countStore != null) {
                tracker = new BounceTracker(suppressionList, countStore, countFlushPeriod, limits, deliveryLog, maskRecipients, clock);
            } else if (suppressionList != null) {
                tracker = new BounceTracker(suppressionList, limits, deliveryLog, maskRecipients, clock);
            } else {
                throw new IllegalStateException("bounce handling needs suppressionDirectory(...) or suppressionList(...)");
            }
            tracker.onSuppressed(onSuppressed);
            try {
                BounceIntake intake = mailbox == null ? null : new BounceIntake(new BounceMailbox(mailbox, clock), tracker, clock);
                return new BounceHandling(tracker, intake);
            } catch (RuntimeException e) {
                tracker.close(); // a count store's flush period stops with the handling that was not built
                throw e;
            }
        }
    }
}
