package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceMailboxStatus;
import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.SendGate;
import io.github.outboundrelay.common.Suppression;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The bounce handling of the open mail queue (relay-common's {@link BounceHandling}: the suppression list kept in
 * {@link #directory(File)}, the rates, and the bounce mailbox's polling). One per queue: each queue the page's
 * settings open gets a fresh one, built after the previous queue let go of its spool and after the previous
 * handling stopped polling and saved its counts, so that one writer at a time keeps the list's files (see
 * docs/jenkins.md, "Bounces").
 */
final class RelayBounces implements AutoCloseable {
    private BounceHandling current; // guarded by this; null before the first queue opened and after close

    /** Where the suppression list and the rate counts are kept: owner-only, beside the spool. */
    static Path directory(File jenkinsHome) {
        return jenkinsHome.toPath().resolve("outbound-relay").resolve("suppressions");
    }

    /**
     * Stops the current handling, builds the next one and starts its polling.
     *
     * @param build    the handling for the settings the new queue opens with
     * @param interval time between two polls of the mailbox (none is polled without one)
     * @return what the queue opened with the new handling counts through ({@link #queueWatch})
     */
    synchronized BounceWatch reopen(Supplier<BounceHandling> build, Duration interval) {
        closeLocked();
        BounceHandling next = build.get();
        // The polling thread inherits the context loader: jakarta.mail must find the bundled Angus IMAP provider.
        PluginClassLoader.call(() -> {
            next.start(interval);
            return null;
        });
        current = next;
        return queueWatch(next);
    }

    /**
     * What a queue opened with {@code own} counts through: its suppression check and its rates are {@code own}'s, but
     * a sent count goes to the handling current when it arrives. A send of the old queue can return after a save
     * replaced its handling (the save waits for it at most {@code ReconfigurableMailQueue.RELEASE_WAIT}, 2 min, and the
     * page allows a read timeout of 600 s): counted on the closed handling, whose counts were saved at its close, it
     * would be lost; counted on the current one, it is saved with that one's (docs/jenkins.md, "Bounces").
     */
    private BounceWatch queueWatch(BounceHandling own) {
        return new BounceWatch() {
            @Override
            public SendGate gate(SendGate next) {
                return own.watch().gate(next);
            }

            @Override
            public void sent(int acceptedRecipients, Instant now) {
                counting(own).watch().sent(acceptedRecipients, now);
            }

            @Override
            public BounceMetrics metrics(Instant now) {
                return own.watch().metrics(now);
            }
        };
    }

    /** The handling that takes a count now: the current one, or {@code own} once Jenkins stopped (none is current). */
    private synchronized BounceHandling counting(BounceHandling own) {
        return current != null ? current : own;
    }

    synchronized Optional<BounceHandling> current() {
        return Optional.ofNullable(current);
    }

    /** An administrator's "poll now"; empty without a queue or a mailbox. */
    Optional<BounceMailboxStatus> pollNow() {
        Optional<BounceHandling> handling = current();
        return handling.isEmpty() ? Optional.empty() : PluginClassLoader.call(() -> handling.get().pollNow());
    }

    List<Suppression> search(String text, int limit) {
        return current().map(h -> h.search(text, limit)).orElse(List.of());
    }

    /** Takes an address off the list; false when it was not there or no queue is open. */
    boolean remove(String address) throws IOException {
        Optional<BounceHandling> handling = current();
        return handling.isPresent() && handling.get().remove(address);
    }

    @Override
    public synchronized void close() {
        closeLocked();
    }

    private void closeLocked() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
