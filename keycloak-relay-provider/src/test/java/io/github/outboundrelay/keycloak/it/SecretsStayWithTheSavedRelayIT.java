package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.TokenEndpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a realm administrator (manage-realm) who wants the realm's stored relay secret would try, through Keycloak's
 * real admin REST API: point the token URL elsewhere while the client secret stays masked (in the probe, the console's
 * "Test connection" and a save), or name a fallback relay of theirs and wait for the relay to fail over. The attacker's
 * token endpoint and SMTP server record what reaches them: never the secret, and no connection at all.
 */
@ExtendWith(RealKeycloak.class)
class SecretsStayWithTheSavedRelayIT {
    static final String MASKED = "**********";
    static final String CLIENT_SECRET = "client-secret-" + UUID.randomUUID().toString().replace("-", "");

    static RealKeycloak.Suite suite;
    static TokenEndpoint identityProvider;
    static TokenEndpoint attacker;

    @BeforeAll
    static void startTokenEndpoints(RealKeycloak.Suite shared) throws IOException {
        suite = shared;
        identityProvider = new TokenEndpoint("issued-token", 3600);
        attacker = new TokenEndpoint("issued-token", 3600);
    }

    @AfterAll
    static void stopTokenEndpoints() {
        identityProvider.close();
        attacker.close();
    }

    /** The Email tab with OAuth2 (XOAUTH2) against the shared relay: the client secret is what an attacker wants. */
    static Map<String, String> tokenTab(URI tokenUrl, String clientSecret) {
        Map<String, String> smtp = suite.emailTab();
        smtp.remove("password");
        smtp.put("authType", "token");
        smtp.put("authTokenUrl", tokenUrl.toString());
        smtp.put("authTokenClientId", "keycloak-mailer");
        smtp.put("authTokenClientSecret", clientSecret);
        smtp.put("authTokenScope", "https://outlook.office365.com/.default");
        return smtp;
    }

    static String tokenRealm(String prefix) {
        return suite.admin.createRealm(prefix + "-" + UUID.randomUUID().toString().substring(0, 8),
                tokenTab(identityProvider.url(), CLIENT_SECRET));
    }

    @Test
    void aProbeWithTheClientSecretMaskedNeverPostsItToAnotherTokenUrl() {
        String realm = tokenRealm("probe-token");
        AdminApi.Reply reply = suite.admin.post("/admin/realms/" + realm + "/outbound-relay/probe",
                tokenTab(attacker.url(), MASKED));

        assertThat(attacker.requests()).as("requests at the attacker's token endpoint").isEmpty();
        assertThat(reply.status()).isEqualTo(403);
        assertThat(reply.json()).containsEntry("field", "authTokenUrl");
        assertThat((String) reply.json().get("fix")).contains("credential-hosts");
        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    @Test
    void theConsolesTestConnectionWithTheClientSecretMaskedNeverPostsItToAnotherTokenUrl() {
        String realm = tokenRealm("test-token");
        // Keycloak itself puts the saved secret back into a masked map whose host, port and user are unchanged.
        AdminApi.Reply reply = suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", tokenTab(attacker.url(), MASKED));

        assertThat(attacker.requests()).as("requests at the attacker's token endpoint").isEmpty();
        assertThat(reply.status()).isEqualTo(500);
        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    @Test
    void savingAnotherTokenUrlWithTheClientSecretMaskedIsRefusedAndTheNextMailUsesTheSavedOne() throws Exception {
        String realm = tokenRealm("save-token");
        AdminApi.Reply save = suite.admin.put("/admin/realms/" + realm, Map.of("smtpServer", tokenTab(attacker.url(), MASKED)));
        String userId = suite.admin.createUser(realm, "tina", "tina@example.org", "Tina-pw-1");
        int before = identityProvider.requests().size();
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));
        Poll.until("the mail's token request reached a token endpoint", Duration.ofSeconds(30),
                () -> identityProvider.requests().size() > before || !attacker.requests().isEmpty());

        assertThat(attacker.requests()).as("requests at the attacker's token endpoint").isEmpty();
        assertThat(identityProvider.requests().get(before)).contains(CLIENT_SECRET);
        assertThat(save.status()).isEqualTo(400);
        assertThat(save.body()).contains("authTokenClientSecret", "authTokenUrl");
        AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
    }

    @Test
    void aRealmFallbackRelayNotOnTheServersListIsRefusedOnSaveNamingTheFieldAndTheOption() throws Exception {
        try (EmbeddedRelay attackerRelay = attackerRelay()) {
            String realm = suite.admin.createRealm("fallback-save-" + UUID.randomUUID().toString().substring(0, 8),
                    suite.emailTab(freePort()));
            AdminApi.Reply reply = suite.admin.createOutboundRelayTab(realm, Map.of("fallbackRelay", "127.0.0.1:" + attackerRelay.port()));

            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.body()).contains("fallbackRelay", "--spi-email-sender--relay--credential-hosts");
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
            assertThat(attackerRelay.connections()).as("connections to the attacker's relay").isZero();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theNextResetMailNeverAuthenticatesAtARealmFallbackRelayOffTheServersList() throws Exception {
        // The attacker's relay takes only the realm's real password: a mail arriving there means the password did.
        try (EmbeddedRelay attackerRelay = attackerRelay()) {
            int down = freePort(); // the realm's relay fails (down, or a pin it fails): the queue fails over
            Map<String, String> withoutAuth = suite.emailTab(down);
            withoutAuth.put("auth", "false");
            withoutAuth.remove("password");
            String realm = suite.admin.createRealm("fallback-mail-" + UUID.randomUUID().toString().substring(0, 8), withoutAuth);
            // Saved while the Email tab sends no credentials, then authentication is turned on.
            AdminApi.expect(201, suite.admin.createOutboundRelayTab(realm, Map.of("fallbackRelay", "127.0.0.1:" + attackerRelay.port())));
            suite.admin.setSmtpServer(realm, suite.emailTab(down));
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
            suite.admin.createUser(realm, "rudy", "rudy@example.org", "Rudy-pw-1");

            assertThat(LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "rudy").status()).isEqualTo(200);
            String events = "/admin/realms/" + realm + "/outbound-relay/events";
            Poll.until("the realm's relay failed and the queue decided", Duration.ofSeconds(30),
                    () -> AdminApi.expect(200, suite.admin.get(events)).body().contains("DEFERRED"));
            Map<String, Object> metrics = AdminApi.expect(200,
                    suite.admin.get("/admin/realms/" + realm + "/outbound-relay/metrics")).json();

            assertThat(((List<Map<String, Object>>) metrics.get("relays"))).extracting(r -> r.get("relay"))
                    .as("the relays the queue may use").containsExactly("127.0.0.1:" + down);
            assertThat(attackerRelay.connections()).as("connections to the attacker's relay").isZero();
            assertThat(attackerRelay.received()).isEmpty();
            assertThat(AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/status")).body())
                    .contains("credential-hosts");
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
        }
    }

    @Test
    void aRealmFallbackRelayOnTheServersListGetsTheCredentialsAndTheMail() throws Exception {
        // The suite's Keycloak runs with credential-hosts=localhost; the relay's certificate names localhost.
        try (EmbeddedRelay fallback = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            String realm = suite.admin.createRealm("fallback-ok-" + UUID.randomUUID().toString().substring(0, 8),
                    suite.emailTab(freePort()));
            AdminApi.expect(201, suite.admin.createOutboundRelayTab(realm, Map.of("fallbackRelay", "localhost:" + fallback.port())));
            String userId = suite.admin.createUser(realm, "fred", "fred@example.org", "Fred-pw-1");
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                    List.of("UPDATE_PASSWORD")));

            assertThat(fallback.awaitMessages(1, Duration.ofSeconds(30)).get(0).recipients()).containsExactly("fred@example.org");
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
        }
    }

    private static EmbeddedRelay attackerRelay() {
        return EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword);
    }

    private static int freePort() throws IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort();
        }
    }
}
