package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A relay that takes seconds per message holds up nobody's login request; the console's test still waits for it. */
@ExtendWith(RealKeycloak.class)
class SlowRelayIT {
    static final Duration RELAY_DELAY = Duration.ofSeconds(4);

    static RealKeycloak.Suite suite;
    static EmbeddedRelay slow;
    static String realm;

    @BeforeAll
    static void startSlowRelay(RealKeycloak.Suite shared) {
        suite = shared;
        slow = EmbeddedRelay.builder(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)
                .delayPerMessage(RELAY_DELAY).start();
        realm = suite.admin.createRealm("slow-" + System.nanoTime(), suite.emailTab(slow.port()));
    }

    @AfterAll
    static void stopSlowRelay() {
        // Keycloak's pooled connection to it closes when the realm goes: the relay then stops without waiting for it.
        suite.admin.delete("/admin/realms/" + realm);
        slow.close();
    }

    @Test
    void executeActionsEmailReturnsQuicklyAndTheMailArrivesAfterwards() throws Exception {
        String userId = suite.admin.createUser(realm, "erin", "erin@example.org", "Erin-pw-1");
        int before = slow.received().size();
        long start = System.nanoTime();
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        // Half the relay's delay: room for a loaded build machine, and still proof that nobody waited for the relay.
        assertThat(took).as("the request must not wait for the relay's %s", RELAY_DELAY).isLessThan(RELAY_DELAY.dividedBy(2));
        assertThat(slow.received()).as("not delivered yet when the request returned").hasSize(before);
        String mail = slow.awaitMessages(before + 1, Duration.ofSeconds(30)).get(before).content();
        assertThat(mail).contains("Subject: Update Your Account", "erin@example.org");
        System.out.printf("execute-actions-email answered in %d ms; the relay took %d ms per message%n",
                took.toMillis(), RELAY_DELAY.toMillis());
    }

    @Test
    void theConsolesTestConnectionWaitsForTheRelaysAnswer() {
        long start = System.nanoTime();
        AdminApi.expect(204, suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", suite.emailTab(slow.port())));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(RELAY_DELAY);
    }
}
