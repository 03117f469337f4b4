package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.QueueMetrics.RelayHealth;
import io.github.outboundrelay.common.QueueMetrics.Status;
import io.github.outboundrelay.common.Throttle;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RealmHealthTest {
    static final Instant NOW = Instant.parse("2026-12-03T08:00:00Z");

    static RelayHealth relay(String name, Status status) {
        boolean failing = status != Status.HEALTHY;
        return new RelayHealth(name, status, failing ? NOW.plusSeconds(30) : null, failing ? 3 : 0,
                failing ? FailureCategory.CONNECT_REFUSED : null, "", 0, 10, failing ? 3 : 0, Throttle.NONE);
    }

    static QueueMetrics metrics(long depth, Duration oldest, long deadLetters, double bounceRate, RelayHealth... relays) {
        return new QueueMetrics(NOW, 10, 10, 0, 0, 0, 0, 0, 0, depth, oldest, deadLetters, Map.of(), bounceRate, List.of(relays),
                BounceMetrics.NONE);
    }

    @Test
    void aHealthyRelayAndAnEmptyQueueAreOk() {
        RealmHealth health = RealmHealth.of(metrics(0, Duration.ZERO, 0, 0, relay("smtp:587", Status.HEALTHY)), 1000);
        assertThat(health.status()).isEqualTo(RealmHealth.Status.OK);
        assertThat(health.reasons()).containsExactly("delivering");
    }

    @Test
    void aFailedPrimaryWithAWorkingFallbackIsDegradedAndNamesTheRelayAndWhy() {
        RealmHealth health = RealmHealth.of(metrics(0, Duration.ZERO, 0, 0,
                relay("smtp:587", Status.COOLING_DOWN), relay("backup:587", Status.HEALTHY)), 1000);
        assertThat(health.status()).isEqualTo(RealmHealth.Status.DEGRADED);
        assertThat(health.reasons()).singleElement().asString()
                .contains("smtp:587 COOLING_DOWN after CONNECT_REFUSED (3 failure(s))", "next try at");
    }

    @Test
    void noRelayTakingMailIsDown() {
        RealmHealth health = RealmHealth.of(metrics(2, Duration.ofSeconds(20), 0, 0,
                relay("smtp:587", Status.COOLING_DOWN), relay("backup:587", Status.PAUSED_AUTH_FAILED)), 1000);
        assertThat(health.status()).isEqualTo(RealmHealth.Status.DOWN);
        assertThat(health.reasons()).hasSize(3).last().asString().contains("no relay takes mail");
    }

    @Test
    void aRelayOnTrialStillCountsAsTakingMail() {
        assertThat(RealmHealth.of(metrics(1, Duration.ofSeconds(5), 0, 0, relay("smtp:587", Status.TRIAL)), 1000).status())
                .isEqualTo(RealmHealth.Status.DEGRADED);
    }

    @Test
    void oldMailDegradesThenTakesTheRealmDownEvenWithHealthyRelays() {
        assertThat(RealmHealth.of(metrics(1, Duration.ofMinutes(6), 0, 0, relay("smtp:587", Status.HEALTHY)), 1000).status())
                .isEqualTo(RealmHealth.Status.DEGRADED);
        RealmHealth stuck = RealmHealth.of(metrics(1, Duration.ofMinutes(31), 0, 0, relay("smtp:587", Status.HEALTHY)), 1000);
        assertThat(stuck.status()).isEqualTo(RealmHealth.Status.DOWN);
        assertThat(stuck.reasons()).containsExactly("the oldest queued mail waits for 31 min (over 30 min)");
    }

    @Test
    void deadLettersANearlyFullQueueAndBouncesDegrade() {
        RealmHealth health = RealmHealth.of(metrics(800, Duration.ofSeconds(1), 2, 0.2, relay("smtp:587", Status.HEALTHY)), 1000);
        assertThat(health.status()).isEqualTo(RealmHealth.Status.DEGRADED);
        assertThat(health.reasons()).hasSize(3);
        assertThat(health.reasons().get(0)).contains("800 mails queued of at most 1000");
        assertThat(health.reasons().get(1)).contains("2 dead letter(s)");
        assertThat(health.reasons().get(2)).contains("20% of the last hour's mail");
    }
}
