package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceMailboxStatus;
import io.github.outboundrelay.common.Suppression;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
     */
    synchronized BounceHandling reopen(Supplier<BounceHandling> build, Duration interval) {
        closeLocked();
        BounceHandling next = build.get();
        // The polling thread inherits the context loader: jakarta.mail must find the bundled Angus IMAP provider.
        PluginClassLoader.call(() -> {
            next.start(interval);
            return null;
        });
        current = next;
        return next;
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
