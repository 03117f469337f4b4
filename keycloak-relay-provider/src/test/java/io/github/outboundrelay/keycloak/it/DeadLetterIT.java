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
 * A relay that refuses the recipient (550 at RCPT TO): the mail becomes a dead letter, which the diagnostics resource
 * lists with its category and remedy, queues again on request and purges.
 */
@ExtendWith(RealKeycloak.class)
class DeadLetterIT {

    @Test
    @SuppressWarnings("unchecked")
    void aRefusedRecipientIsADeadLetterListedWithCategoryAndRemedyThenRetriedAndPurged(RealKeycloak.Suite suite)
            throws Exception {
        try (EmbeddedRelay relay = EmbeddedRelay.builder(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)
                .refuseRecipients(recipient -> true).start()) {
            String realm = suite.admin.createRealm("dead-" + System.nanoTime(), suite.emailTab(relay.port()));
            String base = "/admin/realms/" + realm + "/outbound-relay/";
            String userId = suite.admin.createUser(realm, "judy", "judy@example.org", "Judy-pw-1");
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                    List.of("UPDATE_PASSWORD")));

            Map<String, Object> letter = awaitOneDeadLetter(suite, base);
            assertThat(letter).containsEntry("category", "RECIPIENT_REJECTED").containsEntry("reason", "REJECTED")
                    .containsEntry("recipients", List.of("j***@example.org")).containsEntry("subject", "Update Your Account")
                    .containsEntry("relay", "127.0.0.1:" + relay.port()).containsEntry("attempts", 1L);
            assertThat((String) letter.get("reply")).startsWith("550").contains("User unknown");
            assertThat((String) letter.get("remedy")).contains("check that it is spelled correctly and exists");
            assertThat(letter.toString()).doesNotContain("judy@example.org").doesNotContain("action-token");
            Map<String, Object> metrics = AdminApi.expect(200, suite.admin.get(base + "metrics")).json();
            assertThat(metrics).containsEntry("deadLetters", 1L).containsEntry("deadLettered", 1L).containsEntry("queueDepth", 0L);

            // Retry: the mail goes to the relay again (a second refusal), and is a dead letter again.
            String id = (String) letter.get("id");
            assertThat(AdminApi.expect(200, suite.admin.post(base + "dead-letters/" + id + "/retry", null)).json())
                    .containsEntry("retried", true);
            relay.awaitRefusals(2, Duration.ofSeconds(30));
            Map<String, Object> again = awaitOneDeadLetter(suite, base);

            // Purge it: gone from the list and the metrics; a second purge finds nothing.
            String againId = (String) again.get("id");
            assertThat(AdminApi.expect(200, suite.admin.post(base + "dead-letters/" + againId + "/purge", null)).json())
                    .containsEntry("purged", true);
            Map<String, Object> none = AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json();
            assertThat(none).containsEntry("total", 0L).containsEntry("deadLetters", List.of());
            assertThat(suite.admin.post(base + "dead-letters/" + againId + "/purge", null).status()).isEqualTo(404);
            assertThat(AdminApi.expect(200, suite.admin.get(base + "metrics")).json()).containsEntry("deadLetters", 0L);

            // Purge all, after another refused mail.
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                    List.of("VERIFY_EMAIL")));
            awaitOneDeadLetter(suite, base);
            assertThat(AdminApi.expect(200, suite.admin.post(base + "dead-letters/purge", null)).json())
                    .containsEntry("purged", 1L);

            List<Object> outcomes = ((List<Map<String, Object>>) AdminApi.expect(200, suite.admin.get(base + "events"))
                    .json().get("events")).stream().map(e -> e.get("outcome")).toList();
            assertThat(outcomes).contains("DEAD_LETTERED", "REQUEUED", "PURGED");

            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitOneDeadLetter(RealKeycloak.Suite suite, String base) throws InterruptedException {
        Poll.until("one dead letter", Duration.ofSeconds(30), () ->
                Long.valueOf(1).equals(AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json().get("total")));
        return ((List<Map<String, Object>>) AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json()
                .get("deadLetters")).get(0);
    }
}
