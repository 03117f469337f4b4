package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same JAR on the older Keycloak 26.x lines the build unpacks ({@code keycloak.smoke.homes}, set by the POM):
 * each starts with the provider as the email sender, and a "Forgot password?" mail goes out through it. The full
 * suite runs on one line at a time (profiles kc-26.4, kc-26.5, kc-26.7); docs/keycloak.md "Versions tested".
 */
class KeycloakVersionsSmokeIT {
    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;
    static Path bundle;
    static final String RELAY_USER = "keycloak-relay";
    static final String RELAY_PASSWORD = "relay-" + UUID.randomUUID();

    static Stream<Path> homes() {
        String homes = System.getProperty("keycloak.smoke.homes", "");
        return Arrays.stream(homes.split(",")).filter(h -> !h.isBlank()).distinct().map(Path::of);
    }

    @BeforeAll
    static void startRelay() throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        relay = EmbeddedRelay.start(certificate.serverContext(), RELAY_USER, RELAY_PASSWORD);
        bundle = Files.createTempFile("relay-ca", ".pem");
        Files.writeString(bundle, certificate.pem());
    }

    @AfterAll
    static void stopRelay() throws Exception {
        if (relay != null) {
            relay.close();
        }
        Files.deleteIfExists(bundle);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("homes")
    void aResetMailGoesOutThroughTheProvider(Path home) throws Exception {
        Path workDir = Path.of(System.getProperty("screenshots.dir")).getParent().resolve("keycloak-smoke")
                .resolve(home.getFileName());
        long start = System.nanoTime();
        try (KeycloakServer keycloak = KeycloakServer.start(home, Path.of(System.getProperty("provider.jar")), workDir,
                List.of("--spi-email-sender--provider=relay", "--spi-email-sender--relay--trust-bundle=" + bundle,
                        "--features=declarative-ui"),
                "admin-" + UUID.randomUUID())) {
            AdminApi admin = new AdminApi(keycloak.baseUri(), "master", KeycloakServer.ADMIN_USER, keycloak.adminPassword());
            String realm = admin.createRealm("smoke-" + UUID.randomUUID().toString().substring(0, 8), emailTab());
            AdminApi.expect(204, admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
            String user = "smoke-" + home.getFileName();
            String address = user + "@example.org";
            admin.createUser(realm, user, address, "Smoke-pw-1");

            LoginPages.Answer answer = LoginPages.forgotPassword(keycloak.baseUri(), realm, user);
            assertThat(answer.status()).isEqualTo(200);
            Poll.until("the reset mail from " + home.getFileName(), Duration.ofSeconds(30),
                    () -> relay.received().stream().anyMatch(m -> m.recipients().contains(address)));
            EmbeddedRelay.ReceivedMail received = relay.received().stream()
                    .filter(m -> m.recipients().contains(address)).findFirst().orElseThrow();
            ReceivedMessage mail = ReceivedMessage.parse(received.envelopeFrom(), received.recipients(), received.data());
            assertThat(mail.subject()).isEqualTo("Reset password");
            assertThat(mail.actionLink()).startsWith(keycloak.baseUri() + "/realms/" + realm + "/login-actions/action-token?key=");
            // Sent by the provider's queue, not Keycloak's own sender: the diagnostics count it.
            Map<String, Object> metrics = AdminApi.expect(200,
                    admin.get("/admin/realms/" + realm + "/outbound-relay/metrics")).json();
            assertThat(metrics).containsEntry("submitted", 1L);
            System.out.printf("%s: started and delivered the reset mail in %d s%n", home.getFileName(),
                    Duration.ofNanos(System.nanoTime() - start).toSeconds());
        }
    }

    static Map<String, String> emailTab() {
        return EmailTabs.startTlsWithPassword("127.0.0.1", relay.port(), RELAY_USER, RELAY_PASSWORD);
    }
}
