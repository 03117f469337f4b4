package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A realm's bounce-rate counts survive Keycloak's graceful shutdown: the provider factory's close flushes what the
 * last period did not write into {@code OUTBOUND_RELAY_BOUNCE_COUNT} while Keycloak's database is still open, and the
 * next start reads it back. The suite's flush period is an hour ({@link RealKeycloak}), so nothing but the shutdown
 * writes the count here; a node killed without shutdown would lose it (docs/keycloak.md, "Bounces").
 */
@ExtendWith(RealKeycloak.class)
class BounceCountsAtShutdownIT {

    @Test
    void theCountsOfMailSentSinceTheLastFlushAreReadBackAfterARestart(RealKeycloak.Suite suite) throws Exception {
        String realm = suite.newRealm("counts");
        String userId = suite.admin.createUser(realm, "ivan", "ivan@example.org", "Ivan-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));
        Poll.until("the relay received the mail to ivan", Duration.ofSeconds(30), () -> suite.relay.received().stream()
                .map(EmbeddedRelay.ReceivedMail::recipients).anyMatch(r -> r.contains("ivan@example.org")));
        String bounces = "/admin/realms/" + realm + "/outbound-relay/bounces";
        Poll.until("this node counts the mail", Duration.ofSeconds(20), () -> sentRecipients(suite, bounces) == 1L);

        suite.keycloak.restart(); // SIGTERM: the provider factory closes while Keycloak shuts down

        assertThat(sentRecipients(suite, bounces)).as("read from the database by the new process").isEqualTo(1L);
        assertThat(suite.keycloak.log()).doesNotContain("bounce counts could not be written");
        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    @SuppressWarnings("unchecked")
    private static long sentRecipients(RealKeycloak.Suite suite, String path) {
        Map<String, Object> rates = (Map<String, Object>) AdminApi.expect(200, suite.admin.get(path)).json().get("rates");
        return (Long) ((Map<String, Object>) rates.get("last24Hours")).get("sentRecipients");
    }
}
