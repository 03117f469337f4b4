package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.DeliveryLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file-backed tracker keeps its list and its rates across a restart, and forgets counts a week old. */
class BounceTrackerRestartTest {
    @TempDir
    Path dir;

    static BounceReport hard(String recipient) {
        return new BounceReport(BounceKind.HARD, recipient, "5.1.1", "user unknown", "<m@example.com>", "mx.example.org");
    }

    @Test
    void theListAndTheRatesSurviveARestart() throws Exception {
        Instant t0 = Instant.parse("2026-12-03T08:00:00Z");
        BounceTracker before = BounceTracker.open(dir, BounceLimits.DEFAULT, new DeliveryLog(10), true, Clock.fixed(t0, ZoneOffset.UTC));
        before.sent(20, t0);
        before.accept(List.of(hard("gone@example.org")));
        before.sent(20, t0);
        before.saveCounts();

        BounceTracker after = BounceTracker.open(dir, BounceLimits.DEFAULT, new DeliveryLog(10), true,
                Clock.fixed(t0.plus(Duration.ofHours(2)), ZoneOffset.UTC));
        BounceMetrics m = after.metrics(t0.plus(Duration.ofHours(2)));

        assertThat(after.suppressions().isSuppressed("gone@example.org")).isTrue();
        assertThat(m.last24Hours().sentRecipients()).isEqualTo(40);
        assertThat(m.last24Hours().hardBounces()).isEqualTo(1);
        assertThat(m.last24Hours().hardBounceRate()).isEqualTo(0.025);
        assertThat(Files.readString(dir.resolve(BounceTracker.COUNTS_FILE))).doesNotContain("@");

        BounceTracker weekLater = BounceTracker.open(dir, BounceLimits.DEFAULT, new DeliveryLog(10), true,
                Clock.fixed(t0.plus(Duration.ofDays(8)), ZoneOffset.UTC));
        assertThat(weekLater.metrics(t0.plus(Duration.ofDays(8))).last7Days().sentRecipients()).isZero();
    }

    @Test
    void aDamagedCountsFileCostsTheCountsNotTheStart() throws Exception {
        Files.writeString(dir.resolve(BounceTracker.COUNTS_FILE), "not\tnumbers\n");
        BounceTracker tracker = BounceTracker.open(dir, BounceLimits.DEFAULT, new DeliveryLog(10), true, Clock.systemUTC());
        assertThat(tracker.metrics(Instant.now()).last7Days().sentRecipients()).isZero();
    }
}
