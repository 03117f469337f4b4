package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Relays limit recipients, not only messages (Microsoft 365: 10,000 recipients a day and 30 messages a minute): a
 * mail to N addresses takes N of the recipient budget. Against a real SMTP peer, time driven by the test.
 */
class RecipientThrottleTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spool;
    final ManualTime time = new ManualTime();
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

    MailQueue queue(Throttle throttle) {
        MailQueue queue = MailQueue.builder().spoolDirectory(spool).relay(QueueTestPeer.settings(relay), throttle)
                .clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5)).manualDispatch().build();
        closeAfter.add(0, queue);
        return queue;
    }

    static OutboundMessage mailTo(int recipients, String tag) {
        OutboundMessage.Builder b = OutboundMessage.builder().subject(tag).text("Body of " + tag);
        for (int i = 0; i < recipients; i++) {
            b.to(tag + "-" + i + "@example.com");
        }
        return b.build();
    }

    /** Runs the queue every half second of test time for {@code seconds}; returns the recipients the relay got. */
    int recipientsSentWithin(MailQueue queue, int seconds) throws InterruptedException {
        for (int step = 0; step < seconds * 2; step++) {
            queue.runUntilQuiet(WAIT);
            time.advance(Duration.ofMillis(500));
        }
        return relay.received().stream().mapToInt(r -> r.recipients().size()).sum();
    }

    @Test
    void aRecipientLimitCountsEveryAddressOfEveryMail() throws Exception {
        MailQueue queue = queue(Throttle.NONE.andRecipientsPerMinute(60));
        for (int i = 0; i < 30; i++) {
            queue.submit(mailTo(5, "m" + i));
        }

        int firstMinute = recipientsSentWithin(queue, 60);
        int secondMinute = recipientsSentWithin(queue, 60) - firstMinute;

        // 60 recipients a minute is 12 mails of 5, not 60 mails: within 10 % and one mail's size.
        assertThat(firstMinute).isBetween(54, 66 + 5);
        assertThat(secondMinute).isBetween(54, 66 + 5);
        assertThat(queue.metrics().queueDepth()).as("the rest waits; nothing is dropped")
                .isEqualTo(30 - relay.received().size());
    }

    @Test
    void aMailWithMoreRecipientsThanTheBurstIsSentOnceTheBudgetIsFullAndTheNextPaysItBack() throws Exception {
        // 60 a minute has a burst of 3: without debt, a mail to 10 would never fit and wait forever.
        MailQueue queue = queue(Throttle.NONE.andRecipientsPerMinute(60));
        queue.submit(mailTo(10, "big"));
        queue.submit(mailTo(1, "small"));

        queue.runUntilQuiet(WAIT);
        assertThat(relay.received()).singleElement().satisfies(r -> assertThat(r.recipients()).hasSize(10));

        // 10 taken from 3: 7 owed, then 1 needed, at one a second.
        time.advance(Duration.ofMillis(7_900));
        queue.runUntilQuiet(WAIT);
        assertThat(relay.received()).as("the small mail waits until the debt is paid back").hasSize(1);
        time.advance(Duration.ofMillis(200));
        queue.runUntilQuiet(WAIT);
        assertThat(relay.received()).hasSize(2);
    }

    @Test
    void aLargeMailWaitingForTheBudgetIsNotOvertakenBySmallOnes() throws Exception {
        MailQueue queue = queue(Throttle.NONE.andRecipientsPerMinute(60));
        queue.submit(mailTo(2, "first"));
        queue.submit(mailTo(3, "large"));
        for (int i = 0; i < 5; i++) {
            queue.submit(mailTo(1, "small" + i));
        }

        recipientsSentWithin(queue, 20);

        assertThat(relay.received()).extracting(ScriptedSmtpPeer.Received::recipients)
                .extracting(List::size).startsWith(2, 3, 1, 1);
    }

    @Test
    void messageAndRecipientLimitsBothHold() throws Exception {
        // 6 messages a minute (burst 1) and 600 recipients (burst 30): the message limit is the tighter one here.
        MailQueue queue = queue(Throttle.perMinute(6).andRecipientsPerMinute(600));
        for (int i = 0; i < 20; i++) {
            queue.submit(mailTo(2, "m" + i));
        }

        recipientsSentWithin(queue, 60);

        assertThat(relay.received()).hasSizeBetween(5, 8);
    }

    @Test
    void recipientLimitsAreShownWithTheRelaysOtherLimits() {
        MailQueue queue = queue(Throttle.perMinute(30).andRecipientsPerMinute(100).andRecipientsPerHour(400));
        assertThat(queue.metrics().toMap().get("relays").toString())
                .contains("messagesPerMinute=30", "recipientsPerMinute=100", "recipientsPerHour=400");
    }
}
