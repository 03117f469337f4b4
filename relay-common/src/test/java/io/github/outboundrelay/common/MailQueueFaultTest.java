package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's decisions against a real SMTP peer whose replies are scripted, with time driven by the test: the
 * queue has no dispatcher thread here, the test moves the clock and runs it.
 */
class MailQueueFaultTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spool;
    final ManualTime time = new ManualTime();
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

    MailQueue.Builder builder() {
        return MailQueue.builder()
                .spoolDirectory(spool)
                .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofSeconds(10)).maxDelay(Duration.ofMinutes(5))
                        .lifetime(Duration.ofHours(1)).build())
                .relayCooldown(Duration.ofSeconds(10), Duration.ofMinutes(2))
                .authFailurePause(Duration.ofMinutes(5))
                .deliveryLog(log).clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5))
                .manualDispatch();
    }

    MailQueue start(MailQueue.Builder builder) {
        MailQueue queue = builder.build();
        closeAfter.add(0, queue);
        return queue;
    }

    int run(MailQueue queue) throws InterruptedException {
        return queue.runUntilQuiet(WAIT);
    }

    List<DeliveryEvent> events(DeliveryEvent.Outcome outcome) {
        return log.recent().stream().filter(e -> e.outcome() == outcome).toList();
    }

    @Test
    void aTransientReplyIsRetriedAfterTheBackoffWithTheSameMessageId() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.reply(Step.END_OF_DATA, "451 4.3.0 Temporary local problem, try later");
        OutboundMessage message = mail(1);
        queue.submit(message);

        assertThat(run(queue)).isEqualTo(1);
        assertThat(relay.received()).isEmpty();
        assertThat(events(DeliveryEvent.Outcome.RETRY_SCHEDULED)).singleElement().satisfies(e -> {
            assertThat(e.attempt()).isEqualTo(1);
            assertThat(e.reply()).startsWith("451 4.3.0");
            assertThat(e.detail()).contains("retry 2 in 10000 ms");
        });

        time.advance(Duration.ofMillis(9_999));
        assertThat(run(queue)).as("not before the backoff").isZero();
        time.advance(Duration.ofMillis(1));
        assertThat(run(queue)).isEqualTo(1);

        assertThat(relay.messageIds()).containsExactly(message.messageId());
        assertThat(relay.commands(Step.END_OF_DATA)).isEqualTo(2);
        QueueMetrics m = queue.metrics();
        assertThat(m.sent()).isEqualTo(1);
        assertThat(m.deferred()).isEqualTo(1);
        assertThat(m.retried()).isEqualTo(1);
        assertThat(m.failed()).isEqualTo(1);
        assertThat(m.failuresByCategory()).containsEntry(FailureCategory.MESSAGE_REJECTED, 1L);
        assertThat(m.queueDepth()).isZero();
    }

    @Test
    void aPermanentReplyGoesToTheDeadLettersWithCategoryReplyAndRemedyAndIsNeverRetried() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.reply(Step.RCPT, "550 5.1.1 <user1@example.com>: Recipient address rejected: User unknown");
        OutboundMessage message = mail(1);
        String id = queue.submit(message);

        run(queue);
        queue.submit(mail(2));
        run(queue);
        assertThat(queue.metrics().bounceRateLastHour()).isEqualTo(0.5);
        time.advance(Duration.ofDays(2));
        assertThat(run(queue)).isZero();

        assertThat(relay.commands(Step.RCPT)).isEqualTo(2);
        assertThat(queue.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(id);
            assertThat(d.messageId()).isEqualTo(message.messageId());
            assertThat(d.reason()).isEqualTo(DeadLetter.Reason.REJECTED);
            assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(d.reply()).startsWith("550 5.1.1").contains("u***@example.com").doesNotContain("user1@");
            assertThat(d.remedy()).contains("recipient");
            assertThat(d.recipients()).containsExactly("u***@example.com");
            assertThat(d.attempts()).isEqualTo(1);
        });
        assertThat(events(DeliveryEvent.Outcome.DEAD_LETTERED)).singleElement()
                .satisfies(e -> assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED));
        assertThat(events(DeliveryEvent.Outcome.RETRY_SCHEDULED)).isEmpty();

        QueueMetrics m = queue.metrics();
        assertThat(m.deadLettered()).isEqualTo(1);
        assertThat(m.deadLetters()).isEqualTo(1);
        assertThat(m.sent()).isEqualTo(1);
        assertThat(m.bounceRateLastHour()).as("an hour later").isZero();
    }

    @Test
    void refusedCredentialsPauseTheRelayInsteadOfRetryingInATightLoop() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.always(Step.AUTH, "535 5.7.8 Authentication credentials invalid");
        for (int i = 0; i < 3; i++) {
            queue.submit(mail(i));
        }

        run(queue);
        for (int i = 0; i < 29; i++) {           // 290 s of a paused relay, run after every 10 s
            time.advance(Duration.ofSeconds(10));
            run(queue);
        }
        assertThat(relay.commands(Step.AUTH)).as("one AUTH attempt in 290 s").isEqualTo(1);
        assertThat(events(DeliveryEvent.Outcome.DEFERRED)).singleElement().satisfies(e -> {
            assertThat(e.category()).isEqualTo(FailureCategory.AUTH_FAILED);
            assertThat(e.detail()).contains("paused for 300 s");
        });
        QueueMetrics paused = queue.metrics();
        assertThat(paused.relays().get(0).status()).isEqualTo(QueueMetrics.Status.PAUSED_AUTH_FAILED);
        assertThat(paused.relays().get(0).retryAt()).isEqualTo(time.instant().plusSeconds(10));
        assertThat(paused.queueDepth()).isEqualTo(3);
        assertThat(paused.oldestMessageAge()).isEqualTo(Duration.ofSeconds(290));
        assertThat(paused.deadLetters()).isZero();

        time.advance(Duration.ofSeconds(10));    // the pause is over: one trial, refused again
        run(queue);
        assertThat(relay.commands(Step.AUTH)).isEqualTo(2);

        relay.always(Step.AUTH, null);           // an administrator fixed the password
        time.advance(Duration.ofMinutes(5));
        run(queue);
        assertThat(relay.received()).hasSize(3);
        assertThat(queue.metrics().relays().get(0).status()).isEqualTo(QueueMetrics.Status.HEALTHY);
    }

    @Test
    void aMailAcceptedWhoseReplyWasLostIsSentAgainWithTheSameMessageIdAndNoOtherIsDuplicated() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.reply(Step.END_OF_DATA, ScriptedSmtpPeer.DROP);
        List<String> messageIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            OutboundMessage message = mail(i);
            queue.submit(message);
            messageIds.add(message.messageId());
        }

        run(queue);
        time.advance(Duration.ofSeconds(10));   // the relay's cool-down after the dropped connection
        run(queue);

        Map<String, Long> copies = relay.messageIds().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(copies).containsOnlyKeys(messageIds);
        assertThat(copies.get(messageIds.get(0))).as("the mail whose reply was lost").isEqualTo(2);
        assertThat(copies.values()).containsExactlyInAnyOrder(2L, 1L, 1L, 1L, 1L);
        assertThat(events(DeliveryEvent.Outcome.DEFERRED)).singleElement()
                .satisfies(e -> assertThat(e.category()).isEqualTo(FailureCategory.CONNECTION_LOST));
        assertThat(queue.metrics().queueDepth()).isZero();
    }

    @Test
    void aMailAcceptedForSomeRecipientsIsDoneAndTheRefusedRecipientIsLogged() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.reply(Step.RCPT, "250 2.1.5 Ok", "550 5.1.1 <nobody@example.com>: Recipient address rejected");
        OutboundMessage message = OutboundMessage.builder().to("alice@example.com", "nobody@example.com")
                .subject("Partly").text("for two").build();
        queue.submit(message);

        run(queue);
        time.advance(Duration.ofHours(2));
        assertThat(run(queue)).isZero();

        assertThat(relay.received()).singleElement()
                .satisfies(r -> assertThat(r.recipients()).containsExactly("alice@example.com"));
        assertThat(events(DeliveryEvent.Outcome.FAILED)).filteredOn(e -> e.detail().contains("other recipients"))
                .singleElement().satisfies(e -> {
                    assertThat(e.recipients()).containsExactly("n***@example.com");
                    assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
                    assertThat(e.reply()).startsWith("550 5.1.1").doesNotContain("nobody@");
                });
        assertThat(queue.metrics().queueDepth()).isZero();
        assertThat(queue.deadLetters(10)).isEmpty();
    }

    @Test
    void failsOverToTheSecondRelayWhileTheFirstIsDownAndGoesBackWhenItIsHealthy() throws Exception {
        ScriptedSmtpPeer second = QueueTestPeer.start();
        closeAfter.add(second);
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)).relay(QueueTestPeer.settings(second)));
        relay.stop();

        for (int i = 0; i < 3; i++) {
            queue.submit(mail(i));
        }
        run(queue);
        assertThat(second.received()).hasSize(3);
        QueueMetrics.RelayHealth first = queue.metrics().relays().get(0);
        assertThat(first.status()).isEqualTo(QueueMetrics.Status.COOLING_DOWN);
        assertThat(first.lastFailure()).isEqualTo(FailureCategory.CONNECT_REFUSED);

        relay.restart();
        time.advance(Duration.ofSeconds(10));
        queue.submit(mail(3));                   // the trial mail for the first relay
        run(queue);
        assertThat(relay.received()).hasSize(1);
        assertThat(queue.metrics().relays().get(0).status()).isEqualTo(QueueMetrics.Status.HEALTHY);

        for (int i = 4; i < 7; i++) {
            queue.submit(mail(i));
        }
        run(queue);
        assertThat(relay.received()).hasSize(4);
        assertThat(second.received()).hasSize(3);
        assertThat(queue.metrics().sent()).isEqualTo(7);
    }

    @Test
    void theThrottleHoldsTheRateWithinTenPercentOverAMinute() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay), Throttle.perMinute(120)));
        for (int i = 0; i < 280; i++) {
            queue.submit(mail(i));
        }

        int firstMinute = 0;
        for (int step = 0; step < 120; step++) {   // t = 0 .. 59.5 s
            firstMinute += run(queue);
            time.advance(Duration.ofMillis(500));
        }
        int secondMinute = 0;
        for (int step = 0; step < 120; step++) {   // t = 60 .. 119.5 s
            secondMinute += run(queue);
            time.advance(Duration.ofMillis(500));
        }

        assertThat(firstMinute).isBetween(108, 132);
        assertThat(secondMinute).isBetween(108, 132);
        assertThat(relay.received()).hasSize(firstMinute + secondMinute);
        assertThat(queue.metrics().queueDepth()).as("the rest waits; nothing is dropped").isEqualTo(280 - firstMinute - secondMinute);
    }

    @Test
    void aMailStillFailingWhenItsLifetimeRunsOutIsGivenUpAsExpired() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.always(Step.END_OF_DATA, "451 4.7.1 Greylisted, please try again later");
        String id = queue.submit(mail(1));

        for (int i = 0; i < 40 && queue.deadLetters(1).isEmpty(); i++) {
            run(queue);
            time.advance(Duration.ofMinutes(5));
        }

        assertThat(queue.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(id);
            assertThat(d.reason()).isEqualTo(DeadLetter.Reason.EXPIRED);
            assertThat(d.category()).isEqualTo(FailureCategory.MESSAGE_REJECTED);
            assertThat(d.remedy()).contains("Given up after PT1H");
        });
        // 10 s, 20 s, 40 s, 80 s, 160 s, then every 5 min until 1 h has passed.
        assertThat(relay.commands(Step.END_OF_DATA)).isBetween(12, 16);
        assertThat(events(DeliveryEvent.Outcome.EXPIRED)).hasSize(1);
        assertThat(queue.metrics().expired()).isEqualTo(1);
    }

    @Test
    void deadLettersCanBeRetriedAfterTheCauseIsFixedAndPurged() throws Exception {
        MailQueue queue = start(builder().relay(QueueTestPeer.settings(relay)));
        relay.always(Step.MAIL, "550 5.7.60 SMTP; Client does not have permissions to send as this sender");
        OutboundMessage first = mail(1);
        String a = queue.submit(first);
        String b = queue.submit(mail(2));
        run(queue);
        assertThat(queue.deadLetters(10)).extracting(DeadLetter::id).containsExactly(a, b);
        assertThat(queue.deadLetters(10)).allSatisfy(d -> assertThat(d.category()).isEqualTo(FailureCategory.SENDER_REJECTED));

        relay.always(Step.MAIL, null);
        assertThat(queue.retryDeadLetter(a)).isTrue();
        run(queue);
        assertThat(relay.messageIds()).containsExactly(first.messageId());
        assertThat(queue.purgeDeadLetter(b)).isTrue();
        assertThat(queue.retryDeadLetter(b)).isFalse();
        assertThat(queue.deadLetters(10)).isEmpty();
        assertThat(events(DeliveryEvent.Outcome.REQUEUED)).singleElement().satisfies(e -> assertThat(e.detail()).contains(a));
        assertThat(events(DeliveryEvent.Outcome.PURGED)).singleElement().satisfies(e -> assertThat(e.detail()).contains(b));
        assertThat(queue.metrics().deadLetters()).isZero();
    }
}
