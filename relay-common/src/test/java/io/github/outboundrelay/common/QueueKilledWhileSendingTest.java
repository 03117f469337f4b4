package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator did to find the spool's retirement race: a queue killed (shut down without waiting) a hundred
 * times while mail is submitted and sent, a new queue opened on the same spool each time. Every acknowledged mail must
 * arrive, and the spool must never find a batch file missing. Bounded: 100 cycles, at most 150 s of them (about 60 s on a loaded 2-core machine).
 */
class QueueKilledWhileSendingTest {
    static final int CYCLES = 100;
    static final Duration CYCLES_AT_MOST = Duration.ofSeconds(150);

    @TempDir
    Path spool;
    ScriptedSmtpPeer relay;
    final DeliveryLog log = new DeliveryLog(100_000);
    final List<String> spoolWarnings = Collections.synchronizedList(new ArrayList<>());
    final Logger spoolLogger = Logger.getLogger("io.github.outboundrelay.spool");
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                spoolWarnings.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        relay = QueueTestPeer.start();
        spoolLogger.addHandler(capture);
    }

    @AfterEach
    void stop() {
        spoolLogger.removeHandler(capture);
        relay.close();
    }

    MailQueue open() {
        return MailQueue.builder()
                .relay(QueueTestPeer.settings(relay))
                .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofMillis(50)).maxDelay(Duration.ofMillis(200)).build())
                .relayCooldown(Duration.ofMillis(20), Duration.ofMillis(100))
                .deliveryLog(log)
                .spoolDirectory(spool)
                .build();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aQueueKilledAHundredTimesWhileSubmittingAndSendingLosesNoMailAndNeverMissesABatchFile() throws Exception {
        relay.dataDelay(Duration.ofMillis(3)); // each send waits for its reply long enough to be cut off by the kill
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicReference<MailQueue> current = new AtomicReference<>();
        AtomicBoolean submitting = new AtomicBoolean(true);
        AtomicInteger numbers = new AtomicInteger();
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread submitter = new Thread(() -> {
                while (submitting.get()) {
                    MailQueue queue = current.get();
                    if (queue == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    OutboundMessage m = mail(numbers.incrementAndGet());
                    try {
                        queue.submit(m);
                        acknowledged.add(m.messageId());
                    } catch (IllegalStateException e) {
                        // Killed between get() and submit(): not acknowledged, the caller keeps the mail.
                    }
                }
            }, "submitter-" + t);
            submitter.start();
            submitters.add(submitter);
        }
        long deadline = System.nanoTime() + CYCLES_AT_MOST.toNanos();
        int cycles = 0;
        try {
            for (; cycles < CYCLES && System.nanoTime() < deadline; cycles++) {
                MailQueue queue = open();
                current.set(queue);
                relay.awaitReceived(relay.received().size() + 1, Duration.ofSeconds(10)); // a send waits for its reply
                current.set(null);
                queue.shutdown(Duration.ZERO); // killed: sends still waiting for the relay's reply
                // The killed queue keeps spool.lock until those sends return (docs/reliability.md), as a host's
                // ReconfigurableMailQueue waits before it opens the successor.
                assertThat(queue.awaitReleased(Duration.ofSeconds(10))).as("the killed queue let go of its spool").isTrue();
            }
        } finally {
            submitting.set(false);
            for (Thread t : submitters) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
        assertThat(cycles).as("kill cycles within " + CYCLES_AT_MOST).isEqualTo(CYCLES);

        relay.dataDelay(Duration.ZERO);
        try (MailQueue last = open()) {
            long drained = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!relay.messageIds().containsAll(acknowledged) || last.metrics().queueDepth() > 0) {
                assertThat(System.nanoTime()).as("every acknowledged mail delivered within 60 s").isLessThan(drained);
                try {
                    relay.awaitReceived(relay.received().size() + 1, Duration.ofMillis(200)); // wakes on each arrival
                } catch (IllegalStateException nothingNew) {
                    // Nothing arrived within 200 ms: look at the queue again.
                }
            }
        }
        assertThat(acknowledged).as("mails acknowledged over the kills").hasSizeGreaterThan(CYCLES);
        assertThat(relay.messageIds()).as("mails the relay accepted").containsAll(acknowledged);
        assertThat(spoolWarnings).as("warnings of the spool").isEmpty();
        assertThat(log.recent()).as("quarantined entries")
                .noneMatch(e -> e.outcome() == DeliveryEvent.Outcome.QUARANTINED);
        assertThat(spool.resolve("quarantine")).isEmptyDirectory();
    }
}
