package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A relay that is down when the mail is sent: the request succeeds, the mail waits in the realm's durable queue with
 * the failure visible in the diagnostics, and it arrives once the relay is back, even across a Keycloak restart.
 */
@ExtendWith(RealKeycloak.class)
class RelayDownIT {

    @Test
    @SuppressWarnings("unchecked")
    void aMailToADownRelayIsAcceptedAndTheDiagnosticsShowWhyItFailed(RealKeycloak.Suite suite) throws Exception {
        int port = freePort(); // nothing listens here: the relay is down
        String realm = suite.admin.createRealm("down-" + System.nanoTime(), suite.emailTab(port));
        String userId = suite.admin.createUser(realm, "heidi", "heidi@example.org", "Heidi-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));

        String events = "/admin/realms/" + realm + "/outbound-relay/events";
        Poll.until("the failed attempt is in the delivery events", Duration.ofSeconds(20),
                () -> !((List<Object>) AdminApi.expect(200, suite.admin.get(events)).json().get("events")).isEmpty());
        Map<String, Object> event = ((List<Map<String, Object>>) suite.admin.get(events).json().get("events")).get(0);
        assertThat(event).containsEntry("outcome", "FAILED").containsEntry("category", "CONNECT_REFUSED")
                .containsEntry("recipients", List.of("h***@example.org"));
        assertThat((String) event.get("detail")).contains("check the port");
        Map<String, Object> metrics = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/metrics")).json();
        assertThat(metrics).containsEntry("submitted", 1L).containsEntry("queueDepth", 1L).containsEntry("sent", 0L);
        assertThat((Map<String, Object>) metrics.get("failuresByCategory")).containsKey("CONNECT_REFUSED");
        Map<String, Object> relay = ((List<Map<String, Object>>) metrics.get("relays")).get(0);
        assertThat(relay).containsEntry("relay", "127.0.0.1:" + port).containsEntry("status", "COOLING_DOWN")
                .containsEntry("lastFailure", "CONNECT_REFUSED");

        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // its queue and spool go with it
    }

    @Test
    void mailToADownRelayArrivesAfterItComesBackAcrossAKeycloakRestart(RealKeycloak.Suite suite) throws Exception {
        int port = freePort(); // nothing listens here: the relay is down
        String realm = suite.admin.createRealm("down-" + System.nanoTime(), suite.emailTab(port));
        String userId = suite.admin.createUser(realm, "frank", "frank@example.org", "Frank-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));

        String metricsPath = "/admin/realms/" + realm + "/outbound-relay/metrics";
        Poll.until("the mail is spooled and its first attempt failed", Duration.ofSeconds(20), () -> {
            Map<String, Object> m = AdminApi.expect(200, suite.admin.get(metricsPath)).json();
            return Long.valueOf(1).equals(m.get("queueDepth")) && ((Long) m.get("failed")) >= 1;
        });

        suite.keycloak.restart(); // SIGTERM: the queue shuts down gracefully, the mail stays in data/outbound-relay/spool

        try (EmbeddedRelay back = EmbeddedRelay.builder(suite.certificate.serverContext(), suite.relayUser,
                suite.relayPassword).port(port).start()) {
            // Nothing sends the realm another mail: the queue resumed from its spool at startup. The relay's cool-down
            // after the failed attempt at startup (10 s, doubling) decides when its trial mail goes.
            String mail = back.awaitMessages(1, Duration.ofMinutes(2)).get(0).content();
            assertThat(mail).contains("frank@example.org", "Subject: Update Your Account");
            Poll.until("the spool is empty", Duration.ofSeconds(20), () ->
                    Long.valueOf(0).equals(AdminApi.expect(200, suite.admin.get(metricsPath)).json().get("queueDepth")));
            assertThat(back.received()).as("delivered once").hasSize(1);
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort();
        }
    }
}
