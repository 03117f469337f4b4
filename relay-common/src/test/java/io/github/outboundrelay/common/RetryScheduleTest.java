package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    final RetrySchedule schedule = RetrySchedule.defaults();

    @Test
    void defaultsStartAtSecondsDoubleAndCapAtMinutes() {
        assertThat(schedule.delayAfter(1, 0.0)).isEqualTo(Duration.ofSeconds(15));
        assertThat(schedule.delayAfter(2, 0.0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(schedule.delayAfter(3, 0.0)).isEqualTo(Duration.ofSeconds(60));
        assertThat(schedule.delayAfter(6, 0.0)).isEqualTo(Duration.ofSeconds(480));
        assertThat(schedule.delayAfter(7, 0.0)).isEqualTo(Duration.ofMinutes(10));
        assertThat(schedule.delayAfter(500, 0.0)).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void jitterOnlyShortensTheDelayByUpToItsFraction() {
        assertThat(schedule.delayAfter(1, 0.5)).isEqualTo(Duration.ofMillis(13_500));
        assertThat(schedule.delayAfter(1, 0.999_999)).isBetween(Duration.ofMillis(12_000), Duration.ofMillis(12_001));
        assertThat(schedule.delayAfter(40, 0.999_999)).isLessThanOrEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void aMailExpiresWhenItsLifetimeIsUsedUp() {
        Instant submitted = Instant.parse("2025-03-01T08:00:00Z");
        assertThat(schedule.isExpired(submitted, submitted.plus(Duration.ofHours(23)))).isFalse();
        assertThat(schedule.isExpired(submitted, submitted.plus(Duration.ofHours(24)))).isTrue();
    }

    @Test
    void conflictingOptionsNameBoth() {
        assertThatThrownBy(() -> RetrySchedule.builder().firstRetry(Duration.ofMinutes(20)).maxDelay(Duration.ofMinutes(10)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("retryFirstDelay").hasMessageContaining("retryMaxDelay");
        assertThatThrownBy(() -> RetrySchedule.builder().jitter(1.5))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("retryJitter");
    }
}
