package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The probe (and the console's "Test connection", which takes proposed settings too) is no port scanner and no open
 * mail gun for a realm administrator: it reaches only the saved relay, its fallbacks and the hosts the server's operator
 * listed, waits at most 15 s a step whatever timeouts it is given, mails only the calling administrator, and every
 * probe is an admin event.
 */
@ExtendWith(RealKeycloak.class)
class ProbeRulesIT {
    static RealKeycloak.Suite suite;
    static String realm;

    @BeforeAll
    static void createRealm(RealKeycloak.Suite shared) {
        suite = shared;
        realm = suite.newRealm("probe-rules");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm,
                Map.of("adminEventsEnabled", true, "adminEventsDetailsEnabled", true)));
    }

    static String probe() {
        return "/admin/realms/" + realm + "/outbound-relay/probe";
    }

    @Test
    void aProbeOfAHostThatIsNeitherTheSavedRelayNorAFallbackNorListedIsRefusedWithoutConnecting() {
        try (EmbeddedRelay elsewhere = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            AdminApi.Reply reply = suite.admin.post(probe(), suite.emailTab(elsewhere.port()));

            assertThat(elsewhere.connections()).as("connections to the host named").isZero();
            assertThat(reply.status()).isEqualTo(403);
            assertThat(reply.json()).containsEntry("field", "port");
            assertThat((String) reply.json().get("fix")).contains("--spi-email-sender--relay--credential-hosts");
        }
    }

    @Test
    void theConsolesTestConnectionToAHostNotAllowedIsRefusedWithoutConnecting() {
        try (EmbeddedRelay elsewhere = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            Map<String, String> elsewhereTab = suite.emailTab(elsewhere.port());
            elsewhereTab.put("password", "typed-for-this-relay"); // not the saved one, which would be refused for that alone
            AdminApi.Reply reply = suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", elsewhereTab);

            assertThat(elsewhere.connections()).as("connections to the host named").isZero();
            assertThat(reply.status()).isEqualTo(500);
        }
    }

    @Test
    void aHostTheServersOperatorListedMayBeProbed() {
        Map<String, String> listed = suite.emailTab();
        listed.put("host", "localhost"); // credential-hosts=localhost in the suite
        assertThat(AdminApi.expect(200, suite.admin.post(probe(), listed)).json()).containsEntry("passed", true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aProbeWaitsAtMostFifteenSecondsAStepWhateverTimeoutsItIsGiven() throws Exception {
        // Accepts connections (the kernel does) and never says a word: a tarpit on a listed host.
        try (ServerSocket tarpit = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> patient = suite.emailTab(tarpit.getLocalPort());
            patient.put("host", "localhost");
            patient.put("connectionTimeout", "600000");
            patient.put("timeout", "600000");
            patient.put("writeTimeout", "600000");
            patient.put("password", "typed-for-this-relay"); // not the saved one, which "Test connection" would refuse at once

            long start = System.nanoTime();
            Map<String, Object> report = AdminApi.expect(200, suite.admin.post(probe(), patient)).json();
            Duration probeTook = Duration.ofNanos(System.nanoTime() - start);
            start = System.nanoTime();
            AdminApi.Reply test = suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", patient);
            Duration testTook = Duration.ofNanos(System.nanoTime() - start);

            System.out.printf("Tarpit with 600 s timeouts proposed: the probe answered in %d ms, Test connection in %d ms%n",
                    probeTook.toMillis(), testTook.toMillis());
            assertThat(report).containsEntry("passed", false).containsEntry("category", "TIMEOUT");
            List<Map<String, Object>> steps = (List<Map<String, Object>>) ((Map<String, Object>) report.get("report")).get("steps");
            assertThat(steps).allSatisfy(step -> assertThat((Long) step.get("elapsedMillis")).isLessThanOrEqualTo(15_000L));
            assertThat(probeTook).isLessThan(Duration.ofSeconds(30));
            assertThat(test.status()).isEqualTo(500);
            assertThat(testTook).isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void theTestMailGoesToTheCallingAdministratorNeverToAnAddressOfTheCallersChoice() throws Exception {
        // A relay and realm of their own: the suite's relay keeps only the mail other tests look for.
        try (EmbeddedRelay own = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            String mailRealm = suite.admin.createRealm("probe-mail-" + System.nanoTime(), suite.emailTab(own.port()));
            String path = "/admin/realms/" + mailRealm + "/outbound-relay/probe";

            AdminApi.Reply chosen = suite.admin.post(path + "?to=victim@example.org", null);
            assertThat(own.received()).noneMatch(mail -> mail.recipients().contains("victim@example.org"));
            assertThat(chosen.status()).isEqualTo(400);
            assertThat(chosen.json()).containsEntry("field", "to");

            Map<String, Object> sent = AdminApi.expect(200, suite.admin.post(path + "?send=true", null)).json();
            assertThat(sent).containsEntry("passed", true);
            EmbeddedRelay.ReceivedMail mail = own.awaitMessages(1, Duration.ofSeconds(10)).get(0);
            assertThat(mail.recipients()).containsExactly("admin@example.com"); // the suite's master administrator
            assertThat(mail.content()).contains("Outbound Relay test message");
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + mailRealm));
        }
    }

    @Test
    void anAdministratorWithoutAnEmailAddressIsToldToSetOneBeforeATestMail() {
        // Keycloak's user profile wants an email address; without this, an account lacking one cannot log in at all.
        String verifyProfile = "/admin/realms/" + realm + "/authentication/required-actions/VERIFY_PROFILE";
        Map<String, Object> action = new java.util.HashMap<>(AdminApi.expect(200, suite.admin.get(verifyProfile)).json());
        action.put("enabled", false);
        AdminApi.expect(204, suite.admin.put(verifyProfile, action));
        suite.admin.createUser(realm, "nomail", null, "Nomail-pw-1");
        suite.admin.grantRealmManagementRole(realm, "nomail", "manage-realm");
        AdminApi withoutAddress = new AdminApi(suite.keycloak.baseUri(), realm, "nomail", "Nomail-pw-1");

        AdminApi.Reply reply = withoutAddress.post(probe() + "?send=true", null);
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json()).containsEntry("field", "send");
        assertThat((String) reply.json().get("fix")).contains("email address");
        // Without a test mail, the probe needs no address.
        assertThat(AdminApi.expect(200, withoutAddress.post(probe(), null)).json()).containsEntry("passed", true);
    }

    @Test
    void everyProbeAllowedOrRefusedIsAnAdminEventWithoutSecrets() {
        AdminApi.expect(200, suite.admin.post(probe(), null));
        AdminApi.expect(403, suite.admin.post(probe(), suite.emailTab(1)));

        AdminApi.Reply events = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/admin-events?max=500"));
        List<Map<String, Object>> probes = events.jsonArray().stream()
                .filter(e -> "OUTBOUND_RELAY_PROBE".equals(e.get("resourceType"))).toList();
        assertThat(probes).hasSizeGreaterThanOrEqualTo(2);
        assertThat(probes).extracting(e -> String.valueOf(e.get("details")))
                .anySatisfy(details -> assertThat(details).contains("passed=true", "127.0.0.1:" + suite.relay.port()))
                .anySatisfy(details -> assertThat(details).contains("refused=port", "127.0.0.1:1"));
        assertThat(events.body()).doesNotContain(suite.relayPassword);
    }
}
