package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.FileSpoolTest;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;

import static io.github.outboundrelay.common.SpoolTestSupport.distinctiveLink;
import static io.github.outboundrelay.common.SpoolTestSupport.filesContaining;
import static io.github.outboundrelay.common.SpoolTestSupport.files;
import static io.github.outboundrelay.common.SpoolTestSupport.refused;
import static io.github.outboundrelay.common.SpoolTestSupport.resetMail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters and quarantined entries keep the reset link they carry only for the retention: after it their record
 * (what failed, why, what to do) stays, the body is gone, and a retry says why it cannot be. Time is the test's.
 */
class DeadLetterBodyRetentionTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");
    static final Duration DAY = Duration.ofHours(24);

    @TempDir
    Path dir;

    @Test
    void aDeadLetterKeepsItsBodyUntilTheCutOffThenOnlyItsRecord() throws Exception {
        String link = distinctiveLink();
        OutboundMessage message = resetMail(1, link);
        try (FileSpool spool = FileSpool.open(dir)) {
            spool.recover(Spool.QuarantineListener.NONE);
            String id = spool.store(message, T0);
            spool.claimDue(T0, 1);
            DeadLetter letter = refused(id, message, T0, T0.plusSeconds(5));
            spool.deadLetter(id, letter);

            // The queue asks with "now minus the retention": given up exactly at the cut-off is not older than it.
            assertThat(spool.deleteBodies(letter.deadLettered())).isZero();
            assertThat(bodiesFound(link)).isEqualTo(1);

            assertThat(spool.deleteBodies(letter.deadLettered().plusMillis(1))).isEqualTo(1);

            assertThat(bodiesFound(link)).isZero();
            assertThat(spool.deadLetters(10)).containsExactly(letter);
            assertThat(spool.depth().deadLetters()).isEqualTo(1);
            assertThatThrownBy(() -> spool.requeueDeadLetter(id, T0.plus(DAY)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("dead letter " + id + " cannot be sent again: its body was deleted after the retention")
                    .hasMessageContaining("send the mail anew");
            assertThat(spool.deleteBodies(T0.plus(DAY.multipliedBy(2)))).as("once is enough").isZero();
        }
        try (FileSpool reopened = FileSpool.open(dir)) {
            reopened.recover(Spool.QuarantineListener.NONE);
            assertThat(reopened.deadLetters(10)).singleElement().satisfies(d -> {
                assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
                assertThat(d.remedy()).contains("check that it is spelled correctly");
                assertThat(d.messageId()).isEqualTo(message.messageId());
            });
            assertThat(reopened.purgeDeadLetter(reopened.deadLetters(1).get(0).id())).isPresent();
        }
    }

    @Test
    void aQuarantinedEntryLosesItsBytesAfterTheRetentionAndKeepsItsReason() throws Exception {
        String link = distinctiveLink();
        String id;
        try (FileSpool earlier = FileSpool.open(dir)) {
            earlier.recover(Spool.QuarantineListener.NONE);
            id = earlier.store(resetMail(1, link), T0); // by an earlier run: the claim below reads it back
        }
        try (FileSpool spool = FileSpool.open(dir)) {
            spool.recover(Spool.QuarantineListener.NONE);
            FileSpoolTest.damage(spool.locate(id), 30); // inside the meta: the body, link included, is copied aside
            assertThat(spool.claimDue(T0, 1)).isEmpty();
            assertThat(bodiesFound(link)).isEqualTo(1);

            assertThat(spool.deleteBodies(Instant.now().minus(DAY))).as("quarantined just now").isZero();
            assertThat(spool.deleteBodies(Instant.now().plus(DAY))).isEqualTo(1);

            assertThat(bodiesFound(link)).isZero();
            assertThat(files(dir.resolve("quarantine"))).singleElement().satisfies(reason -> {
                assertThat(reason.getFileName().toString()).isEqualTo(id + ".msg.reason.txt");
                assertThat(Files.readString(reason, StandardCharsets.UTF_8)).startsWith("meta checksum mismatch")
                        .contains("Its bytes were deleted after the retention");
            });
        }
    }

    @Test
    void theQueueDeletesDeadLetterBodiesOnceTheirRetentionHasPassedAndARetryThenSaysWhy() throws Exception {
        ManualTime time = new ManualTime(T0);
        String link = distinctiveLink();
        try (ScriptedSmtpPeer relay = QueueTestPeer.start();
             MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(relay)).spoolDirectory(dir)
                     .deadLetterBodyRetention(Duration.ofHours(2))
                     .clock(time).ticker(time::nanoTime).manualDispatch().shutdownTimeout(Duration.ofSeconds(5)).build()) {
            relay.always(Step.RCPT, "550 5.1.1 <user1@example.com>: Recipient address rejected: User unknown");
            queue.submit(resetMail(1, link));
            queue.runUntilQuiet(Duration.ofSeconds(20));
            DeadLetter letter = queue.deadLetters(10).get(0);

            time.advance(Duration.ofHours(2));
            queue.runHousekeeping();
            assertThat(bodiesFound(link)).as("kept for the whole retention").isEqualTo(1);

            time.advance(Duration.ofMinutes(1));
            queue.runHousekeeping();
            assertThat(bodiesFound(link)).isZero();
            assertThat(queue.deadLetters(10)).containsExactly(letter);
            assertThat(letter.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(letter.reply()).startsWith("550 5.1.1");
            assertThat(letter.remedy()).isNotBlank();
            assertThatThrownBy(() -> queue.retryDeadLetter(letter.id())).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("its body was deleted after the retention");
            assertThat(queue.purgeDeadLetter(letter.id())).isTrue();
        }
    }

    @Test
    void aNegativeRetentionIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> MailQueue.builder().deadLetterBodyRetention(Duration.ofHours(-1)))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("deadLetterBodyRetention: is negative");
    }

    private int bodiesFound(String link) throws Exception {
        return filesContaining(dir, link).size();
    }
}
