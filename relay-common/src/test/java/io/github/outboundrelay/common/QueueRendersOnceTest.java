package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue renders a mail when it is submitted and spools the rendered bytes: a retry sends those bytes again (its
 * Date is the submit time, on the queue's clock, not the time of the retry); entries spooled by the version before
 * rendering at submit still go out; a relay whose From differs from the rendered one gets a fresh render.
 */
class QueueRendersOnceTest {
    private static final Instant SUBMITTED = Instant.parse("2031-05-06T07:08:09Z");

    @TempDir
    Path spool;
    final ManualTime time = new ManualTime(SUBMITTED);
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

    MailQueue start(RelaySettings settings) {
        MailQueue queue = MailQueue.builder()
                .spoolDirectory(spool)
                .relay(settings)
                .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofSeconds(10)).maxDelay(Duration.ofMinutes(5))
                        .lifetime(Duration.ofHours(1)).build())
                .clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5))
                .manualDispatch()
                .build();
        closeAfter.add(0, queue);
        return queue;
    }

    @Test
    void aRetrySendsTheBytesRenderedAtSubmit() throws Exception {
        MailQueue queue = start(QueueTestPeer.settings(relay));
        relay.reply(Step.DATA, "451 4.3.0 Temporary local problem, try later");
        queue.submit(mail(1));
        assertThat(queue.runUntilQuiet(Duration.ofSeconds(20))).isEqualTo(1);
        time.advance(Duration.ofMinutes(3));
        assertThat(queue.runUntilQuiet(Duration.ofSeconds(20))).isEqualTo(1);

        assertThat(relay.commands(Step.DATA)).isEqualTo(2);
        String data = relay.awaitReceived(1, Duration.ofSeconds(10)).get(0).data();
        assertThat(data).startsWith("Date: Tue, 6 May 2031 07:08:09 +0000\r\nFrom: CI <ci@example.com>\r\n");
        assertThat(data).contains("Subject: Mail 1\r\n", "\r\n\r\nBody of mail 1\r\n");
    }

    @Test
    void mailSpooledWithoutItsRenderingByTheVersionBeforeIsRenderedWhenSent() throws Exception {
        // Spool.store(message, now) writes the body layout of the version before: the message alone.
        try (FileSpool old = FileSpool.open(spool)) {
            old.recover(Spool.QuarantineListener.NONE);
            old.store(mail(2), SUBMITTED);
        }
        MailQueue queue = start(QueueTestPeer.settings(relay));
        assertThat(queue.runUntilQuiet(Duration.ofSeconds(20))).isEqualTo(1);

        String data = relay.awaitReceived(1, Duration.ofSeconds(10)).get(0).data();
        assertThat(data).startsWith("Date: ").contains("From: CI <ci@example.com>\r\n", "Subject: Mail 2\r\n",
                "\r\n\r\nBody of mail 2\r\n");
        assertThat(data).doesNotContain("2031");
    }

    @Test
    void aQueuedMailGoesOutWithTheFromOfTheSettingsItIsSentWith() throws Exception {
        MailQueue first = start(QueueTestPeer.settings(relay));
        relay.reply(Step.GREETING, "421 4.3.2 Service not available");
        first.submit(mail(3));
        first.runUntilQuiet(Duration.ofSeconds(20));
        first.close();
        closeAfter.remove(first);

        // The administrator changed the default From while the mail waited: the relay may refuse the old one.
        RelaySettings changed = QueueTestPeer.settings(relay).toBuilder().from(MailAddress.of("alerts@example.com", "Alerts", "from")).build();
        MailQueue second = start(changed);
        time.advance(Duration.ofMinutes(10));
        assertThat(second.runUntilQuiet(Duration.ofSeconds(20))).isEqualTo(1);

        String data = relay.awaitReceived(1, Duration.ofSeconds(10)).get(0).data();
        assertThat(data).contains("From: Alerts <alerts@example.com>\r\n", "Subject: Mail 3\r\n")
                .doesNotContain("ci@example.com");
    }
}
