package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mail that lost its point while it waited is not sent: an expired link becomes a dead letter EXPIRED, a mail a
 * newer one replaces is dropped; neither reaches the relay nor uses the throttle. Real SMTP peer, test time.
 */
class SendGateTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spool;
    final ManualTime time = new ManualTime();
    final DeliveryLog log = new DeliveryLog(2000);
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    final Set<String> expiredSubjects = ConcurrentHashMap.newKeySet();
    final Set<String> supersededSubjects = ConcurrentHashMap.newKeySet();
    ScriptedSmtpPeer relay;

    /** Decides by subject, as a real gate decides by the link in the body. */
    final SendGate bySubject = (message, firstSubmitted, now) -> {
        if (expiredSubjects.contains(message.subject())) {
            return SendGate.Verdict.expired("its link expired at " + now.minusSeconds(1));
        }
        if (supersededSubjects.contains(message.subject())) {
            return SendGate.Verdict.superseded("a newer mail to the same recipient replaces it");
        }
        return SendGate.Verdict.SEND;
    };

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

    MailQueue queue(Throttle throttle, SendGate gate) {
        MailQueue queue = MailQueue.builder().spoolDirectory(spool).relay(QueueTestPeer.settings(relay), throttle).sendGate(gate)
                .deliveryLog(log).clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .relayCooldown(Duration.ofSeconds(10), Duration.ofMinutes(2))
                .shutdownTimeout(Duration.ofSeconds(5)).manualDispatch().build();
        closeAfter.add(0, queue);
        return queue;
    }

    List<DeliveryEvent> events(DeliveryEvent.Outcome outcome) {
        return log.recent().stream().filter(e -> e.outcome() == outcome).toList();
    }

    @Test
    void aMailWhoseLinkExpiredBecomesADeadLetterExpiredAndIsNotSent() throws Exception {
        MailQueue queue = queue(Throttle.NONE, bySubject);
        relay.stop(); // down while the link is still good
        String id = queue.submit(mail(1));
        queue.runUntilQuiet(WAIT);
        assertThat(queue.deadLetters(10)).isEmpty();

        expiredSubjects.add("Mail 1");           // the link's lifespan passes while the relay is down
        relay.restart();
        time.advance(Duration.ofSeconds(10));    // the relay's cool-down: its trial is the next attempt
        queue.runUntilQuiet(WAIT);

        assertThat(relay.received()).isEmpty();
        assertThat(queue.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(id);
            assertThat(d.category()).isEqualTo(FailureCategory.EXPIRED);
            assertThat(d.reason()).isEqualTo(DeadLetter.Reason.EXPIRED);
            assertThat(d.attempts()).isEqualTo(1);
            assertThat(d.remedy()).startsWith("its link expired at ").contains(FailureCategory.EXPIRED.remedy());
        });
        assertThat(events(DeliveryEvent.Outcome.EXPIRED)).singleElement()
                .satisfies(e -> assertThat(e.category()).isEqualTo(FailureCategory.EXPIRED));
        assertThat(queue.metrics().queueDepth()).isZero();
        assertThat(queue.metrics().expired()).isEqualTo(1);
    }

    @Test
    void aSupersededMailIsDroppedWithAnEventAndWithoutUsingTheThrottle() throws Exception {
        MailQueue queue = queue(Throttle.perMinute(1), bySubject);
        for (int i = 0; i < 50; i++) {
            queue.submit(mail(i));
            supersededSubjects.add("Mail " + i);
        }
        supersededSubjects.remove("Mail 49");    // the newest one
        OutboundMessage other = mail(100);
        queue.submit(other);

        queue.runUntilQuiet(WAIT);
        time.advance(Duration.ofMinutes(1));
        queue.runUntilQuiet(WAIT);

        // One a minute: the newest of the flood and the other user's mail, in two minutes, not 50 minutes.
        assertThat(relay.received()).extracting(ScriptedSmtpPeer.Received::recipients)
                .containsExactly(List.of("user49@example.com"), List.of("user100@example.com"));
        assertThat(events(DeliveryEvent.Outcome.SUPERSEDED)).hasSize(49)
                .allSatisfy(e -> assertThat(e.detail()).isEqualTo("a newer mail to the same recipient replaces it"));
        assertThat(queue.deadLetters(100)).isEmpty();
        assertThat(queue.metrics().queueDepth()).isZero();
    }

    @Test
    void aGateThatThrowsSendsTheMailRatherThanLoseIt() throws Exception {
        MailQueue queue = queue(Throttle.NONE, (message, firstSubmitted, now) -> {
            throw new IllegalStateException("a bug in the gate");
        });
        OutboundMessage message = mail(1);
        queue.submit(message);
        queue.runUntilQuiet(WAIT);
        assertThat(relay.messageIds()).containsExactly(message.messageId());
    }

    @Test
    void theGateSeesWhenTheMailWasQueuedAndTheQueuesClock() throws Exception {
        List<Instant[]> seen = new ArrayList<>();
        MailQueue queue = queue(Throttle.NONE, (message, firstSubmitted, now) -> {
            seen.add(new Instant[] {firstSubmitted, now});
            return SendGate.Verdict.SEND;
        });
        Instant submitted = time.instant();
        queue.submit(mail(1));
        time.advance(Duration.ofSeconds(3));
        queue.runUntilQuiet(WAIT);
        assertThat(seen).singleElement().satisfies(s -> {
            assertThat(s[0]).isEqualTo(submitted);
            assertThat(s[1]).isEqualTo(submitted.plusSeconds(3));
        });
    }
}
