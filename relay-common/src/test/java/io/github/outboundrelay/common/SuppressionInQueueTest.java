package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.bounce.BounceReport;
import io.github.outboundrelay.common.bounce.BounceTracker;
import io.github.outboundrelay.common.bounce.FileSuppressionList;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounce reports reach the queue: a suppressed recipient is not sent (dead letter, or a FAILED event while the
 * others get the mail), removal lets it through again, soft bounces count to the limit, and the rates move.
 * Real SMTP peer on loopback, test time.
 */
class SuppressionInQueueTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    final ManualTime time = new ManualTime();
    final DeliveryLog log = new DeliveryLog(2000);
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    ScriptedSmtpPeer relay;
    BounceTracker tracker;
    MailQueue queue;

    @BeforeEach
    void start() throws Exception {
        relay = QueueTestPeer.start();
        closeAfter.add(relay);
        tracker = new BounceTracker(FileSuppressionList.open(dir.resolve("suppressions")),
                new BounceLimits(0.05, 0.10, 0.001, 0.005, 2), log, true, time);
        queue = MailQueue.builder().spoolDirectory(dir.resolve("spool")).relay(QueueTestPeer.settings(relay)).bounces(tracker)
                .deliveryLog(log).clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5)).manualDispatch().build();
        closeAfter.add(0, queue);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    static OutboundMessage mailTo(String... to) {
        return OutboundMessage.builder().to(to).subject("Hello").text("Body").build();
    }

    static BounceReport report(BounceKind kind, String recipient) {
        return new BounceReport(kind, recipient, kind == BounceKind.COMPLAINT ? "" : kind == BounceKind.HARD ? "5.1.1" : "4.2.2",
                "550 5.1.1 <" + recipient + ">: user unknown", "<sent-1@example.com>", "mx.example.org");
    }

    List<DeliveryEvent> events(DeliveryEvent.Outcome outcome) {
        return log.recent().stream().filter(e -> e.outcome() == outcome).toList();
    }

    @Test
    void aHardBounceSuppressesTheRecipientTheNextMailIsADeadLetterAndRemovalLetsItThrough() throws Exception {
        tracker.accept(List.of(report(BounceKind.HARD, "Gone@Example.org")));

        String id = queue.submit(mailTo("gone@example.org"));
        queue.runUntilQuiet(WAIT);

        assertThat(relay.received()).isEmpty();
        assertThat(queue.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(id);
            assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED);
            assertThat(d.reason()).isEqualTo(DeadLetter.Reason.SUPPRESSED);
            assertThat(d.remedy()).contains("g***@example.org")
                    .contains("remove it from the suppression list once the address is fixed");
        });
        assertThat(events(DeliveryEvent.Outcome.DEAD_LETTERED)).singleElement()
                .satisfies(e -> assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED));
        assertThat(queue.metrics().bounceRateLastHour()).as("not the relay's bounce").isZero();

        assertThat(tracker.remove("gone@example.org")).isTrue();
        assertThat(queue.retryDeadLetter(id)).isTrue();
        queue.runUntilQuiet(WAIT);
        assertThat(relay.received()).singleElement().satisfies(r -> assertThat(r.recipients()).containsExactly("gone@example.org"));
    }

    @Test
    void aSuppressedRecipientIsLeftOutWhileTheOthersGetTheMail() throws Exception {
        tracker.accept(List.of(report(BounceKind.COMPLAINT, "angry@example.org")));

        queue.submit(mailTo("angry@example.org", "happy@example.org"));
        queue.runUntilQuiet(WAIT);

        assertThat(relay.received()).singleElement().satisfies(r -> {
            assertThat(r.recipients()).containsExactly("happy@example.org");
            assertThat(r.data()).doesNotContain("angry@example.org");
        });
        assertThat(events(DeliveryEvent.Outcome.FAILED)).singleElement().satisfies(e -> {
            assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED);
            assertThat(e.recipients()).containsExactly("a***@example.org");
        });
        assertThat(queue.deadLetters(10)).isEmpty();
    }

    @Test
    void softBouncesSuppressOnlyAtTheLimit() throws Exception {
        tracker.accept(List.of(report(BounceKind.SOFT, "full@example.org")));
        assertThat(tracker.suppressions().isSuppressed("full@example.org")).isFalse();
        assertThat(tracker.suppressions().get("full@example.org")).hasValueSatisfying(s -> assertThat(s.softBounces()).isEqualTo(1));

        tracker.accept(List.of(report(BounceKind.SOFT, "full@example.org")));
        assertThat(tracker.suppressions().isSuppressed("full@example.org")).isTrue();
        assertThat(queue.metrics().bounces().suppressedRecipients()).isEqualTo(1);
    }

    @Test
    void unknownReportsSuppressNobody() throws Exception {
        tracker.accept(List.of(new BounceReport(BounceKind.UNKNOWN, "", "", "not a multipart/report", "", "")));
        assertThat(tracker.suppressions().search("", 10)).isEmpty();
    }

    @Test
    void theRatesMoveWithReportsAndSentRecipientsAndWarnAboveTheThresholds() throws Exception {
        for (int i = 0; i < 10; i++) {
            queue.submit(mailTo("user" + i + "@example.com"));
        }
        queue.runUntilQuiet(WAIT);
        assertThat(queue.metrics().bounces().last24Hours().sentRecipients()).isEqualTo(10);
        assertThat(queue.metrics().bounces().warnings()).isEmpty();

        tracker.accept(List.of(report(BounceKind.HARD, "user1@example.com")));
        BounceMetrics after = queue.metrics().bounces();
        assertThat(after.last24Hours().hardBounceRate()).isEqualTo(0.1);
        assertThat(after.last7Days().hardBounceRate()).isEqualTo(0.1);
        assertThat(after.warnings()).anySatisfy(w -> assertThat(w).startsWith("hard-bounce rate 10.00 % over 24 hours (1 of 10 recipients)")
                .contains("critical 10.00 % level").contains("may pause them"));

        tracker.accept(List.of(report(BounceKind.COMPLAINT, "user2@example.com")));
        assertThat(queue.metrics().bounces().last24Hours().complaintRate()).isEqualTo(0.1);
        assertThat(events(DeliveryEvent.Outcome.BOUNCE_REPORTED)).hasSize(2).last().satisfies(e -> {
            assertThat(e.messageId()).isEqualTo("<sent-1@example.com>");
            assertThat(e.recipients()).containsExactly("u***@example.com");
            assertThat(e.detail()).startsWith("complaint; hard-bounce rate 10.00 % (24 h)").contains("complaint rate 10.00 % (24 h)");
        });
        assertThat(queue.metrics().toMap()).containsKey("bounces");

        time.advance(Duration.ofHours(25));
        BounceMetrics later = queue.metrics().bounces();
        assertThat(later.last24Hours().hardBounces()).isZero();
        assertThat(later.last7Days().hardBounces()).isEqualTo(1);
        assertThat(later.last7Days().sentRecipients()).isEqualTo(10);
        time.advance(Duration.ofDays(7));
        assertThat(queue.metrics().bounces().last7Days().hardBounces()).isZero();
    }
}
