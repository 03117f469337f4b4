package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMailboxStatus;
import io.github.outboundrelay.common.BounceMailboxFailure;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.testing.DovecotServer;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Polls against a real Dovecot: reports applied, failures named in the status, and nothing lost on the way. */
class BounceIntakeTest {
    @TempDir
    static Path dir;
    static DovecotServer dovecot;

    @BeforeAll
    static void startDovecot() throws Exception {
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        dovecot = DovecotServer.start(dir); // The mail processes run as nobody: a directory they can enter.
    }

    @AfterAll
    static void stopDovecot() throws InterruptedException {
        if (dovecot != null) {
            dovecot.close();
        }
    }

    BounceTracker tracker(Path lists) {
        return new BounceTracker(FileSuppressionList.open(lists), BounceLimits.DEFAULT, new DeliveryLog(100), true, Clock.systemUTC());
    }

    BounceMailboxSettings.Builder settings(String user) {
        BounceMailboxTest.dovecot = dovecot;
        return BounceMailboxTest.settings(user);
    }

    @Test
    void aPollSuppressesHardBouncesAndComplaintsCountsUnknownAndTheStatusSaysSo() throws Exception {
        for (String f : List.of("postfix-unknown-user.eml", "ses-complaint.eml", "malformed-no-recipient.eml")) {
            dovecot.deliver("intake", "INBOX", DovecotServer.fixture(f));
        }
        BounceTracker tracker = tracker(dir.resolve("lists-1"));
        BounceIntake intake = new BounceIntake(new BounceMailbox(settings("intake").build(), Clock.systemUTC()), tracker, Clock.systemUTC());

        BounceMailboxStatus status = intake.pollNow();

        assertThat(status.failure()).isNull();
        assertThat(status.lastSuccess()).isNotNull();
        assertThat(status.mailsRead()).isEqualTo(3);
        assertThat(status.reports()).containsEntry(BounceKind.HARD, 1L).containsEntry(BounceKind.COMPLAINT, 1L)
                .containsEntry(BounceKind.UNKNOWN, 1L);
        assertThat(tracker.suppressions().isSuppressed("nobody@example.org")).isTrue();
        assertThat(tracker.suppressions().isSuppressed("complaint@simulator.amazonses.com")).isTrue();
        assertThat(intake.pollNow().mailsRead()).as("nothing new the second time").isEqualTo(3);
    }

    @Test
    void aWrongPasswordIsNamedInTheStatusAndTheReportWaitsForTheFixedPassword() throws Exception {
        dovecot.deliver("patient", "INBOX", DovecotServer.fixture("ses-bounce.eml"));
        BounceTracker tracker = tracker(dir.resolve("lists-2"));
        BounceMailboxSettings wrong = settings("patient").authentication(Authentication.password("patient", Secret.of("old"))).build();

        BounceMailboxStatus failed = new BounceIntake(new BounceMailbox(wrong, Clock.systemUTC()), tracker, Clock.systemUTC()).pollNow();

        assertThat(failed.failure()).isEqualTo(BounceMailboxFailure.AUTH_FAILED);
        assertThat(failed.remedy()).isEqualTo(BounceMailboxFailure.AUTH_FAILED.remedy());
        assertThat(failed.lastSuccess()).isNull();
        assertThat(tracker.suppressions().search("", 10)).isEmpty();

        BounceMailboxStatus fixed = new BounceIntake(new BounceMailbox(settings("patient").build(), Clock.systemUTC()), tracker,
                Clock.systemUTC()).pollNow();
        assertThat(fixed.failure()).isNull();
        assertThat(tracker.suppressions().isSuppressed("bounce@simulator.amazonses.com")).isTrue();
    }

    @Test
    void aSuppressionListThatCannotBeWrittenFailsThePollAndLeavesTheReportForTheNext() throws Exception {
        dovecot.deliver("storage", "INBOX", DovecotServer.fixture("postfix-unknown-user.eml"));
        Path lists = dir.resolve("lists-3");
        BounceTracker tracker = tracker(lists);
        Path blocker = Files.createDirectory(lists.resolve(FileSuppressionList.FILE + ".tmp"));
        Files.writeString(blocker.resolve("x"), "x");
        BounceIntake intake = new BounceIntake(new BounceMailbox(settings("storage").build(), Clock.systemUTC()), tracker, Clock.systemUTC());

        BounceMailboxStatus failed = intake.pollNow();
        assertThat(failed.failure()).isEqualTo(BounceMailboxFailure.STORAGE);
        assertThat(failed.remedy()).contains("read again at the next poll");
        assertThat(BounceMailboxTest.flagsOf("storage", "INBOX")).singleElement()
                .satisfies(f -> assertThat(f.getUserFlags()).isEmpty());

        Files.delete(blocker.resolve("x"));
        Files.delete(blocker);
        assertThat(intake.pollNow().failure()).isNull();
        assertThat(tracker.suppressions().isSuppressed("nobody@example.org")).isTrue();
    }
}
