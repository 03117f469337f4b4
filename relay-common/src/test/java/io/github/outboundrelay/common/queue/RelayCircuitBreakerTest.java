package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.FailureCategory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RelayCircuitBreakerTest {
    static final long SECOND = 1_000_000_000L;
    final RelayCircuitBreaker breaker = new RelayCircuitBreaker(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(5));

    @Test
    void aNewRelayTakesOneTrialMailBeforeItTakesMany() {
        assertThat(breaker.nanosUntilAllowed(0)).isZero();
        breaker.dispatched();
        assertThat(breaker.nanosUntilAllowed(0)).isEqualTo(Long.MAX_VALUE);
        breaker.succeeded();
        breaker.dispatched();
        breaker.dispatched();
        assertThat(breaker.nanosUntilAllowed(0)).isZero();
    }

    @Test
    void aTrialMailThatNeverReachedTheRelayLetsTheNextOneBeTheTrial() {
        breaker.dispatched();
        breaker.abandoned();
        assertThat(breaker.nanosUntilAllowed(0)).isZero();
        assertThat(breaker.snapshot(0).state()).isEqualTo(RelayCircuitBreaker.State.HALF_OPEN);
    }

    @Test
    void aFailedRelayCoolsDownForLongerAfterEachFailedTrialUpToTheCap() {
        breaker.dispatched();
        breaker.succeeded();
        assertThat(breaker.failed(0, FailureCategory.CONNECT_REFUSED, "refused")).isEqualTo(Duration.ofSeconds(10));
        assertThat(breaker.nanosUntilAllowed(5 * SECOND)).isEqualTo(5 * SECOND);
        assertThat(breaker.nanosUntilAllowed(10 * SECOND)).isZero();                  // trial
        breaker.dispatched();
        assertThat(breaker.failed(10 * SECOND, FailureCategory.CONNECT_REFUSED, "refused")).isEqualTo(Duration.ofSeconds(20));
        assertThat(breaker.nanosUntilAllowed(30 * SECOND)).isZero();
        breaker.dispatched();
        assertThat(breaker.failed(30 * SECOND, FailureCategory.TIMEOUT, "slow")).isEqualTo(Duration.ofSeconds(40));
        assertThat(breaker.cooldown(10)).isEqualTo(Duration.ofSeconds(60));
        assertThat(breaker.snapshot(30 * SECOND).lastCategory()).isEqualTo(FailureCategory.TIMEOUT);
    }

    @Test
    void failuresOfMailsAlreadyInFlightCountOnce() {
        breaker.dispatched();
        breaker.succeeded();
        breaker.failed(0, FailureCategory.CONNECTION_LOST, "dropped");
        breaker.failed(SECOND, FailureCategory.CONNECTION_LOST, "dropped");
        breaker.succeeded(); // a mail that was already on its way
        assertThat(breaker.snapshot(SECOND).consecutiveFailures()).isEqualTo(1);
        assertThat(breaker.snapshot(SECOND).state()).isEqualTo(RelayCircuitBreaker.State.OPEN);
    }

    @Test
    void refusedCredentialsPauseTheRelayForTheFixedPause() {
        assertThat(breaker.authRefused(0, FailureCategory.AUTH_FAILED, "535")).isEqualTo(Duration.ofMinutes(5));
        assertThat(breaker.snapshot(0).state()).isEqualTo(RelayCircuitBreaker.State.PAUSED);
        assertThat(breaker.nanosUntilAllowed(299 * SECOND)).isEqualTo(SECOND);
        assertThat(breaker.nanosUntilAllowed(300 * SECOND)).isZero();
        breaker.dispatched();
        assertThat(breaker.authRefused(300 * SECOND, FailureCategory.AUTH_FAILED, "535")).isEqualTo(Duration.ofMinutes(5));
        assertThat(breaker.nanosUntilAllowed(301 * SECOND)).isEqualTo(299 * SECOND);
    }
}
