package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The provider in Keycloak started the production way ({@link ProductionKeycloak}: {@code kc.sh build}, then
 * {@code start --optimized} on PostgreSQL, HTTPS with a hostname): the reset mail goes out through the provider with
 * an https link on that hostname, the diagnostics resource answers, and the queue's meters are on the management
 * port's {@code /metrics} over HTTPS.
 */
class ProductionStartIT {
    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;
    static ProductionKeycloak keycloak;
    static AdminApi admin;
    static final String RELAY_USER = "keycloak-relay";
    static final String RELAY_PASSWORD = "relay-" + UUID.randomUUID();

    @BeforeAll
    static void start() throws Exception {
        Path workDir = Path.of(System.getProperty("screenshots.dir")).getParent().resolve("keycloak-production");
        Files.createDirectories(workDir);
        certificate = SelfSignedCertificate.forLoopback(); // for localhost: Keycloak's HTTPS and the relay's STARTTLS
        relay = EmbeddedRelay.start(certificate.serverContext(), RELAY_USER, RELAY_PASSWORD);
        Path bundle = workDir.resolve("relay-ca.pem");
        Files.writeString(bundle, certificate.pem());
        keycloak = ProductionKeycloak.start(Path.of(System.getProperty("keycloak.home")), Path.of(System.getProperty("provider.jar")),
                workDir, certificate, List.of("--spi-email-sender--relay--trust-bundle=" + bundle));
        admin = keycloak.admin();
        String adminId = admin.userId("master", KeycloakServer.ADMIN_USER);
        AdminApi.expect(204, admin.put("/admin/realms/master/users/" + adminId, Map.of("email", "admin@example.com")));
    }

    @AfterAll
    static void stop() {
        if (keycloak != null) {
            keycloak.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    static Map<String, String> emailTab() {
        return EmailTabs.startTlsWithPassword("localhost", relay.port(), RELAY_USER, RELAY_PASSWORD);
    }

    @Test
    void keycloakRunsTheOptimizedBuildOnPostgresqlOverHttps() throws Exception {
        String log = keycloak.log();
        assertThat(log).doesNotContain("development mode", "Updating the configuration and installing your custom providers");
        assertThat(log).contains("Listening on: https://127.0.0.1:");
        assertThat(keycloak.buildTime()).isPositive();
        System.out.printf("kc.sh build took %d s, start --optimized %d s%n",
                keycloak.buildTime().toSeconds(), keycloak.startTime().toSeconds());
    }

    @Test
    void theResetMailGoesOutThroughTheProviderWithAnHttpsLinkAndTheDiagnosticsAndMetricsShowIt() throws Exception {
        String realm = admin.createRealm("prod-" + UUID.randomUUID().toString().substring(0, 8), emailTab());
        AdminApi.expect(204, admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
        admin.createUser(realm, "petra", "petra@example.org", "Petra-pw-1");

        LoginPages.Answer answer = LoginPages.forgotPassword(keycloak.http(), keycloak.baseUri(), realm, "petra");
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.page()).contains("You should receive an email shortly");
        EmbeddedRelay.ReceivedMail received = relay.awaitMessages(1, Duration.ofSeconds(30)).get(0);
        ReceivedMessage mail = ReceivedMessage.parse(received.envelopeFrom(), received.recipients(), received.data());
        assertThat(mail.recipients()).containsExactly("petra@example.org");
        assertThat(mail.subject()).isEqualTo("Reset password");
        assertThat(mail.actionLink()).startsWith(keycloak.baseUri() + "/realms/" + realm + "/login-actions/action-token?key=");

        String diagnostics = "/admin/realms/" + realm + "/outbound-relay/";
        Map<String, Object> status = AdminApi.expect(200, admin.get(diagnostics + "status")).json();
        assertThat(status).containsEntry("emailSender", "relay");
        assertThat(String.valueOf(status.get("queueStore"))).containsIgnoringCase("database");
        Poll.until("the sent mail in the diagnostics", Duration.ofSeconds(20),
                () -> Long.valueOf(1).equals(AdminApi.expect(200, admin.get(diagnostics + "metrics")).json().get("sent")));
        assertThat(AdminApi.expect(200, admin.get(diagnostics + "health")).json()).containsEntry("status", "OK");
        assertThat(AdminApi.expect(200, admin.post(diagnostics + "probe", null)).json()).containsEntry("passed", true);

        Poll.until("the realm's sent counter on /metrics over HTTPS", Duration.ofSeconds(20), () -> {
            try {
                return PrometheusScrape.of(keycloak.http(), keycloak.managementUri().resolve("/metrics"))
                        .value("outbound_relay_sent_total", "realm", realm).orElse(0) == 1.0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }
}
