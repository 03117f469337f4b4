package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.FileSpoolTest;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolException;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue with its own dispatcher thread and the real clock, against relays that go away and come back. */
class MailQueueRecoveryTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spool;
    final DeliveryLog log = new DeliveryLog(5000);
    ScriptedSmtpPeer relay;

    @BeforeEach
    void startRelay() throws Exception {
        relay = QueueTestPeer.start();
    }

    @AfterEach
    void stopRelay() {
        relay.close();
    }

    MailQueue.Builder builder() {
        return MailQueue.builder()
                .relay(QueueTestPeer.settings(relay))
                .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofMillis(200)).maxDelay(Duration.ofSeconds(1)).build())
                .relayCooldown(Duration.ofMillis(100), Duration.ofMillis(400))
                .shutdownTimeout(Duration.ofSeconds(10))
                .deliveryLog(log);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Poll.until(what, WAIT, condition);
    }

    @Test
    void aRelayDownForAWhileThenBackGetsEveryMailExactlyOnce() throws Exception {
        relay.stop();
        List<String> submitted = Collections.synchronizedList(new ArrayList<>());
        try (MailQueue queue = builder().spoolDirectory(spool).build()) {
            ExecutorService submitters = Executors.newFixedThreadPool(4);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(submitters.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        OutboundMessage m = mail(thread * 100 + i);
                        queue.submit(m);
                        submitted.add(m.messageId());
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            submitters.shutdown();
            await("three failed attempts on the stopped relay", () -> queue.metrics().failed() >= 3);
            assertThat(queue.metrics().relays().get(0).status()).isIn(QueueMetrics.Status.COOLING_DOWN, QueueMetrics.Status.TRIAL);

            relay.restart();
            relay.awaitReceived(40, WAIT);
            await("an empty queue", () -> queue.metrics().queueDepth() == 0);
            QueueMetrics m = queue.metrics();
            assertThat(m.sent()).isEqualTo(40);
            assertThat(m.failuresByCategory()).containsKey(FailureCategory.CONNECT_REFUSED);
            assertThat(m.relays().get(0).status()).isEqualTo(QueueMetrics.Status.HEALTHY);
        }
        assertThat(relay.messageIds()).hasSize(40).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(submitted);
    }

    @Test
    void aBacklogFoundAtStartIsSentOverEveryConnectionOnceTheTrialMailWentThrough() throws Exception {
        try (FileSpool filled = FileSpool.open(spool)) {
            filled.recover(Spool.QuarantineListener.NONE);
            for (int i = 0; i < 12; i++) {
                filled.store(mail(i), Instant.now());
            }
        }
        relay.dataDelay(Duration.ofMillis(200));
        try (MailQueue queue = builder().spoolDirectory(spool).build()) {
            relay.awaitReceived(12, WAIT);
            await("an empty queue", () -> queue.metrics().queueDepth() == 0);
        }
        assertThat(relay.maxConcurrentConnections()).isEqualTo(RelaySettings.DEFAULT_MAX_CONNECTIONS);
    }

    @Test
    void aFullSpoolMakesSubmitFailLoudlyAndLosesNothingItAcknowledged() throws Exception {
        relay.stop();
        try (FileSpool small = FileSpool.open(spool, 5, FileSpool.DEFAULT_MAX_BYTES);
             MailQueue queue = builder().spool(small).build()) {
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                OutboundMessage m = mail(i);
                queue.submit(m);
                acknowledged.add(m.messageId());
            }
            assertThatThrownBy(() -> queue.submit(mail(5)))
                    .isInstanceOf(SpoolException.class)
                    .hasMessageContaining(spool.toAbsolutePath().toString())
                    .hasMessageContaining("is full")
                    .hasMessageContaining("The mail was not queued");

            relay.restart();
            relay.awaitReceived(5, WAIT);
            await("an empty queue", () -> queue.metrics().queueDepth() == 0);
            OutboundMessage after = mail(6);
            queue.submit(after);
            acknowledged.add(after.messageId());
            relay.awaitReceived(6, WAIT);
            assertThat(relay.messageIds()).containsExactlyInAnyOrderElementsOf(acknowledged);
        }
    }

    @Test
    void aReadOnlySpoolMakesSubmitFailLoudlyAndLosesNothingItAcknowledged() throws Exception {
        relay.stop();
        // No dispatcher while the spool is made read-only: its retries would move the files being made immutable.
        try (MailQueue queue = builder().spoolDirectory(spool).manualDispatch().build()) {
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                OutboundMessage m = mail(i);
                queue.submit(m);
                acknowledged.add(m.messageId());
            }
            // The directories and the batch file the queue appends to: a spool on a file system gone read-only.
            List<Path> readOnlyParts = new ArrayList<>(List.of(spool.resolve("tmp"), spool.resolve("queue")));
            readOnlyParts.addAll(SpoolTestSupport.files(spool.resolve("queue")));
            AutoCloseable readOnly = SpoolTestSupport.makeUnwritable(readOnlyParts.toArray(Path[]::new));
            try {
                assertThatThrownBy(() -> queue.submit(mail(3)))
                        .isInstanceOf(SpoolException.class)
                        .hasMessageContaining(spool.toAbsolutePath().toString())
                        .hasMessageContaining("not writable")
                        .hasMessageContaining("The mail was not queued");
            } finally {
                readOnly.close();
            }
            relay.restart();
            assertThat(queue.runUntilQuiet(WAIT)).isEqualTo(3);
            relay.awaitReceived(3, WAIT);
            assertThat(queue.metrics().queueDepth()).isZero();
            assertThat(relay.messageIds()).containsExactlyInAnyOrderElementsOf(acknowledged);
        }
    }

    @Test
    void aCorruptSpoolEntryIsQuarantinedWithAnEventAndTheRestIsDelivered() throws Exception {
        Instant now = Instant.now();
        List<String> ids = new ArrayList<>();
        List<String> messageIds = new ArrayList<>();
        List<FileSpool.EntryLocation> where = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            try (FileSpool filled = FileSpool.open(spool)) { // each in a batch file of its own
                filled.recover(Spool.QuarantineListener.NONE);
                OutboundMessage m = mail(i);
                String id = filled.store(m, now);
                ids.add(id);
                where.add(filled.locate(id));
                messageIds.add(m.messageId());
            }
        }
        // Garbage where a batch was: found at recovery. A bit flipped in a body: found when the mail is claimed.
        Files.writeString(where.get(1).file(), "garbage where a spool batch was, found at recovery");
        FileSpoolTest.damage(where.get(3), -5);

        try (MailQueue queue = builder().spoolDirectory(spool).build()) {
            relay.awaitReceived(3, WAIT);
            await("an empty queue", () -> queue.metrics().queueDepth() == 0);
            assertThat(queue.metrics().quarantined()).isEqualTo(2);
        }
        assertThat(relay.messageIds()).containsExactlyInAnyOrder(messageIds.get(0), messageIds.get(2), messageIds.get(4));
        List<DeliveryEvent> quarantined = log.recent().stream().filter(e -> e.outcome() == DeliveryEvent.Outcome.QUARANTINED).toList();
        assertThat(quarantined).hasSize(2);
        assertThat(quarantined.get(0).detail()).contains("bad magic").contains("quarantine");
        assertThat(quarantined.get(1).detail()).contains(ids.get(3)).contains("body checksum mismatch");
        assertThat(Files.exists(spool.resolve("quarantine").resolve(ids.get(3) + ".msg"))).isTrue();
        assertThat(SpoolTestSupport.files(spool.resolve("quarantine"))).hasSize(4);
    }

    @Test
    void aGracefulStopFinishesTheSendInFlightAndLeavesTheRestSpooledForTheNextStart() throws Exception {
        relay.dataDelay(Duration.ofMillis(1500));
        RelaySettings oneConnection = QueueTestPeer.settings(relay).toBuilder().maxConnections(1).build();
        List<String> messageIds = new ArrayList<>();
        // One connection: one mail is in flight, two wait.
        MailQueue queue = MailQueue.builder().relay(oneConnection).spoolDirectory(spool).deliveryLog(log).build();
        for (int i = 0; i < 3; i++) {
            OutboundMessage m = mail(i);
            queue.submit(m);
            messageIds.add(m.messageId());
        }
        await("a mail in flight", () -> relay.commands(ScriptedSmtpPeer.Step.MAIL) >= 1);
        long start = System.nanoTime();
        assertThat(queue.shutdown(Duration.ofSeconds(10))).as("drained").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(relay.received()).hasSize(1);
        assertThatThrownBy(() -> queue.submit(mail(9))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");

        relay.dataDelay(Duration.ZERO);
        try (MailQueue restarted = MailQueue.builder().relay(oneConnection).spoolDirectory(spool).deliveryLog(log).build()) {
            assertThat(restarted.metrics().queueDepth()).isEqualTo(2);
            relay.awaitReceived(3, WAIT);
        }
        assertThat(relay.messageIds()).containsExactlyInAnyOrderElementsOf(messageIds);
    }

    @Test
    void aSendStillRunningAtTheStopDeadlineKeepsTheSpoolUntilItReturnsSoTheRestartSendsNoCopy() throws Exception {
        relay.dataDelay(Duration.ofMillis(1500));
        OutboundMessage m = mail(1);
        MailQueue queue = builder().spoolDirectory(spool).build();
        queue.submit(m);
        await("the mail in flight", () -> relay.commands(ScriptedSmtpPeer.Step.MAIL) >= 1);
        assertThat(queue.shutdown(Duration.ofMillis(100))).as("drained").isFalse();
        assertThatThrownBy(() -> builder().spoolDirectory(spool).build()).as("the late send still holds the spool")
                .isInstanceOf(SpoolException.class).hasMessageContaining("in use");

        assertThat(queue.awaitReleased(WAIT)).isTrue();
        relay.dataDelay(Duration.ZERO);
        try (MailQueue restarted = builder().spoolDirectory(spool).build()) {
            assertThat(restarted.metrics().queueDepth()).as("the late send was recorded before the spool was let go")
                    .isZero();
        }
        assertThat(relay.messageIds()).containsExactly(m.messageId());
    }
}
