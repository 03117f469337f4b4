package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.Poll;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a monitor sees: the queue's meters on Keycloak's own {@code /metrics} (management port, started with
 * --metrics-enabled=true) moving when mail is sent and when the relay is down, and the diagnostics resource's cheap
 * {@code health} view, which a view-realm account may read.
 */
@ExtendWith(RealKeycloak.class)
class MonitoringIT {
    static RealKeycloak.Suite suite;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void shared(RealKeycloak.Suite shared) {
        suite = shared;
    }

    static PrometheusScrape scrape() {
        try {
            return PrometheusScrape.of(HTTP, suite.keycloak.managementUri().resolve("/metrics"));
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static boolean is(OptionalDouble value, double expected) {
        return value.isPresent() && value.getAsDouble() == expected;
    }

    @Test
    void aResetMailMovesTheRealmsCountersOnKeycloaksMetricsEndpoint() throws Exception {
        String realm = suite.newRealm("metrics");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
        suite.admin.createUser(realm, "mona", "mona@example.org", "Mona-pw-1");
        assertThat(scrape().matching("outbound_relay_sent_total", "realm", realm))
                .as("no series before the realm's queue opens").isEmpty();

        LoginPages.Answer answer = LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "mona");
        assertThat(answer.status()).isEqualTo(200);
        Poll.until("the reset mail reaches the relay", Duration.ofSeconds(30), () -> suite.relay.received().stream()
                .anyMatch(m -> m.recipients().contains("mona@example.org")));

        Poll.until("outbound_relay_sent_total for the realm is 1", Duration.ofSeconds(20),
                () -> is(scrape().value("outbound_relay_sent_total", "realm", realm), 1.0));
        PrometheusScrape scrape = scrape();
        assertThat(scrape.value("outbound_relay_submitted_total", "realm", realm)).hasValue(1.0);
        assertThat(scrape.value("outbound_relay_queue_depth", "realm", realm)).hasValue(0.0);
        assertThat(scrape.value("outbound_relay_queue_oldest_age_seconds", "realm", realm)).hasValue(0.0);
        assertThat(scrape.value("outbound_relay_dead_letters", "realm", realm)).hasValue(0.0);
        assertThat(scrape.value("outbound_relay_relay_up", "realm", realm, "relay", "127.0.0.1:" + suite.relay.port())).hasValue(1.0);
        assertThat(scrape.value("outbound_relay_failed_total", "realm", realm, "category", "CONNECT_REFUSED")).hasValue(0.0);
        assertThat(scrape.text()).contains("# TYPE outbound_relay_sent counter", "# TYPE outbound_relay_queue_depth gauge");
        assertThat(scrape.samples()).filteredOn(s -> s.name().startsWith("outbound_relay_"))
                .allSatisfy(s -> assertThat(s.labels().toString()).doesNotContain("@"));

        Map<String, Object> health = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/health")).json();
        assertThat(health).containsEntry("realm", realm).containsEntry("status", "OK").containsEntry("reasons", List.of("delivering"));

        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
        Poll.until("a deleted realm's series leave /metrics", Duration.ofSeconds(20),
                () -> scrape().samples().stream().noneMatch(s -> realm.equals(s.labels().get("realm"))));
    }

    @Test
    void aDownRelayShowsAsDownInTheMetricsAndInTheHealthView() throws Exception {
        int port = freePort(); // nothing listens here: the relay is down
        String realm = suite.admin.createRealm("metrics-down-" + System.nanoTime(), suite.emailTab(port));
        String userId = suite.admin.createUser(realm, "nils", "nils@example.org", "Nils-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));

        String relay = "127.0.0.1:" + port;
        Poll.until("the relay is down on /metrics", Duration.ofSeconds(30), () -> {
            PrometheusScrape s = scrape();
            return is(s.value("outbound_relay_relay_up", "realm", realm, "relay", relay), 0.0)
                    && s.value("outbound_relay_failed_total", "realm", realm, "category", "CONNECT_REFUSED").orElse(0) >= 1;
        });
        PrometheusScrape scrape = scrape();
        assertThat(scrape.value("outbound_relay_queue_depth", "realm", realm)).hasValue(1.0);
        assertThat(scrape.value("outbound_relay_sent_total", "realm", realm)).hasValue(0.0);
        assertThat(scrape.value("outbound_relay_relay_state", "realm", realm, "relay", relay, "state", "COOLING_DOWN")).hasValue(1.0);
        assertThat(scrape.value("outbound_relay_relay_state", "realm", realm, "relay", relay, "state", "HEALTHY")).hasValue(0.0);

        // The health view says the same, with the reason, to an account that may only view the realm.
        suite.admin.createUser(realm, "monitor", "monitor@example.org", "Monitor-pw-1");
        suite.admin.grantRealmManagementRole(realm, "monitor", "view-realm");
        AdminApi monitor = new AdminApi(suite.keycloak.baseUri(), realm, "monitor", "Monitor-pw-1");
        String healthPath = "/admin/realms/" + realm + "/outbound-relay/health";
        Map<String, Object> health = AdminApi.expect(200, monitor.get(healthPath)).json();
        assertThat(health).containsEntry("status", "DOWN");
        assertThat(health.get("reasons").toString()).contains(relay + " COOLING_DOWN after CONNECT_REFUSED", "no relay takes mail");
        assertThat(AdminApi.anonymous(suite.keycloak.baseUri()).get(healthPath).status()).isEqualTo(401);

        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    @Test
    void aRealmWithoutAQueueOnThisNodeIsOkAndSaysWhy() {
        String realm = suite.newRealm("health-idle");
        Map<String, Object> health = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/health")).json();
        assertThat(health).containsEntry("status", "OK");
        assertThat(health.get("reasons").toString()).contains("no queue open on this node");
        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    private static int freePort() throws IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort();
        }
    }

}
