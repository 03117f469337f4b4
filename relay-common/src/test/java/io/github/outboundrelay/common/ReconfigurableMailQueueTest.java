package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.SpoolException;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue a host keeps for its saved settings, switched while a send is blocked on a slow relay: the drain is
 * shorter than the relay's read timeout, as in Jenkins (10 s against 30 s), scaled down. The old queue must keep its
 * spool until that send returned, and the successor must deliver everything else exactly once.
 */
class ReconfigurableMailQueueTest {
    static final Duration DRAIN = Duration.ofMillis(200);
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spool;
    final DeliveryLog log = new DeliveryLog(2000);
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    ScriptedSmtpPeer relay;

    @BeforeEach
    void startRelay() throws Exception {
        relay = QueueTestPeer.start();
        closeAfter.add(relay);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    /** The relay with this read timeout: longer than the drain, so a held send outlives a switch. */
    RelaySettings settings(Duration readTimeout) {
        return QueueTestPeer.settings(relay).toBuilder()
                .timeouts(new Timeouts(Duration.ofSeconds(3), readTimeout, Duration.ofSeconds(5))).build();
    }

    ReconfigurableMailQueue<RelaySettings> queue() {
        ReconfigurableMailQueue<RelaySettings> q = new ReconfigurableMailQueue<>(s -> MailQueue.builder()
                .relay(s).spoolDirectory(spool).deliveryLog(log)
                .relayCooldown(Duration.ofMillis(50), Duration.ofMillis(100))
                .shutdownTimeout(DRAIN)
                .build(), "The test is over");
        closeAfter.add(0, q);
        return q;
    }

    @Test
    void aSwitchWhileASendIsBlockedKeepsTheSpoolUntilItReturnsAndTheSuccessorSendsTheRestOnce() throws Exception {
        ReconfigurableMailQueue<RelaySettings> queue = queue();
        queue.replace(settings(Duration.ofSeconds(10)));
        relay.holdData();
        OutboundMessage inFlight = mail(1);
        queue.submit(inFlight);
        relay.awaitHeldData(1, WAIT);

        CompletableFuture<Void> saved = CompletableFuture.runAsync(() -> queue.replace(settings(Duration.ofSeconds(9))));
        // Past the drain the send is still blocked: the old queue still holds the spool, the save waits for it.
        Thread.sleep(DRAIN.toMillis() * 3);
        assertThat(saved).as("the switch waits for the blocked send").isNotDone();
        assertThatThrownBy(() -> FileSpool.open(spool).close()).as("the old queue's lock is held")
                .isInstanceOf(SpoolException.class).hasMessageContaining("in use");
        OutboundMessage duringSwitch = mail(2);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> queue.submit(duringSwitch));

        relay.releaseData(); // The slow relay answers, after the drain but before the read timeout.
        saved.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        relay.awaitReceived(2, WAIT);
        awaitTrue(() -> queue.queued() == 0, "the successor delivered the mail submitted during the switch");

        assertThat(relay.messageIds()).as("each mail once: the old queue recorded its send before letting go")
                .containsExactlyInAnyOrder(inFlight.messageId(), duringSwitch.messageId());
        assertThat(log.recent()).extracting(DeliveryEvent::outcome).containsOnly(DeliveryEvent.Outcome.SENT);
        assertThat(queue.metrics().deadLetters()).isZero();
    }

    @Test
    void aSendThatOutlivesItsReadTimeoutIsRecordedByTheOldQueueAndSentOnceMoreByTheSuccessor() throws Exception {
        ReconfigurableMailQueue<RelaySettings> queue = queue();
        queue.replace(settings(Duration.ofSeconds(1)));
        relay.holdData();
        OutboundMessage inFlight = mail(1);
        queue.submit(inFlight);
        relay.awaitHeldData(1, WAIT);

        CompletableFuture<Void> saved = CompletableFuture.runAsync(() -> queue.replace(settings(Duration.ofSeconds(5))));
        // The old queue's send times out after the drain; it records the retry in the spool it still holds.
        awaitTrue(() -> log.recent().stream().anyMatch(e -> e.outcome() == DeliveryEvent.Outcome.DEFERRED),
                "the timed-out send is recorded");
        relay.releaseData(); // The relay had the mail all along: the resend is the one duplicate allowed.
        saved.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        OutboundMessage after = mail(2);
        queue.submit(after);
        relay.awaitReceived(3, WAIT);
        awaitTrue(() -> queue.queued() == 0, "the successor delivered everything");

        assertThat(relay.messageIds()).as("the mail in flight at most twice, the other once")
                .containsExactlyInAnyOrder(inFlight.messageId(), inFlight.messageId(), after.messageId());
    }

    @Test
    void deadLetterActionsGoToTheOpenQueueAndAClosedQueueRefusesMailWithOneLine() throws Exception {
        ReconfigurableMailQueue<RelaySettings> queue = queue();
        queue.replaceIfOpen(settings(Duration.ofSeconds(5)));
        assertThat(queue.isOpen()).as("settings alone open nothing").isFalse();
        relay.reply(Step.RCPT, "550 5.1.1 No such user");
        queue.submit(mail(1)); // opens the queue
        awaitTrue(() -> queue.metrics().deadLetters() == 1, "the refused mail is a dead letter");
        String id = queue.deadLetters(10).get(0).id();

        queue.replace(settings(Duration.ofSeconds(4))); // the dead letter stays in the spool across the switch
        assertThat(queue.retryDeadLetter(id)).isTrue();
        relay.awaitReceived(1, WAIT);
        assertThat(queue.purgeDeadLetter(id)).as("sent, no longer a dead letter").isFalse();

        queue.close();
        assertThatThrownBy(() -> queue.submit(mail(3))).isInstanceOf(IllegalStateException.class)
                .hasMessage("The test is over: the outbound mail queue is closed and takes no more mail");
        assertThatThrownBy(() -> queue.replace(settings(Duration.ofSeconds(5)))).isInstanceOf(IllegalStateException.class);
        assertThat(queue.awaitReleased(WAIT)).isTrue();
        try (FileSpool reopened = FileSpool.open(spool)) {
            assertThat(reopened.recover((i, w, r) -> { })).as("nothing left queued").isZero();
        }
    }

    @Test
    void aShutDownQueueKeepsItsSpoolUntilItsBlockedSendReturnsAndRefusesEveryChangeMeanwhile() throws Exception {
        MailQueue queue = MailQueue.builder().relay(settings(Duration.ofSeconds(10))).spoolDirectory(spool).deliveryLog(log)
                .build();
        closeAfter.add(0, queue);
        relay.holdData();
        queue.submit(mail(1));
        relay.awaitHeldData(1, WAIT);

        assertThat(queue.shutdown(DRAIN)).as("not drained within the bound").isFalse();
        assertThat(queue.awaitReleased(DRAIN)).as("the blocked send still holds the spool").isFalse();
        assertThatThrownBy(() -> queue.submit(mail(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> queue.purgeDeadLetters()).isInstanceOf(IllegalStateException.class);

        relay.releaseData();
        assertThat(queue.awaitReleased(WAIT)).isTrue();
        try (FileSpool reopened = FileSpool.open(spool)) {
            assertThat(reopened.recover((i, w, r) -> { })).as("the late send was recorded as delivered").isZero();
        }
        assertThat(relay.received()).hasSize(1);
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(10);
        }
    }
}
