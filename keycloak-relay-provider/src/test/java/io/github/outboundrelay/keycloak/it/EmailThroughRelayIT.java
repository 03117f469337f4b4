package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Keycloak's own mails (execute actions, verify email) and the console's "Test connection" go through the provider
 * to a real STARTTLS + AUTH relay; wrong settings are explained by the diagnostics resource.
 */
@ExtendWith(RealKeycloak.class)
class EmailThroughRelayIT {
    static RealKeycloak.Suite suite;
    static String realm;

    @BeforeAll
    static void createRealm(RealKeycloak.Suite shared) {
        suite = shared;
        realm = suite.newRealm("mail");
    }

    static ReceivedMessage awaitMailTo(String address) throws InterruptedException {
        return Poll.untilPresent("a mail to " + address + " reached the relay", Duration.ofSeconds(30), () -> suite.relay.received().stream()
                .filter(mail -> mail.recipients().contains(address)).findFirst()
                .map(mail -> ReceivedMessage.parse(mail.envelopeFrom(), mail.recipients(), mail.data())));
    }

    @Test
    void executeActionsEmailArrivesWithFromReplyToSubjectAndLink() throws Exception {
        String userId = suite.admin.createUser(realm, "carol", "carol@example.org", "Carol-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));

        ReceivedMessage mail = awaitMailTo("carol@example.org");
        assertThat(mail.from().getAddress()).isEqualTo("sso@example.com");
        assertThat(mail.from().getPersonal()).isEqualTo("Example SSO");
        assertThat(mail.replyTo().getAddress()).isEqualTo("helpdesk@example.com");
        assertThat(mail.replyTo().getPersonal()).isEqualTo("Help Desk");
        assertThat(mail.subject()).isEqualTo("Update Your Account");
        assertThat(mail.actionLink()).startsWith(suite.keycloak.baseUri() + "/realms/" + realm + "/login-actions/action-token?key=");
        assertThat(mail.html()).contains("/login-actions/action-token?key=");
    }

    @Test
    void forgotPasswordOnTheLoginPageSendsTheResetMail() throws Exception {
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
        suite.admin.createUser(realm, "oscar", "oscar@example.org", "Oscar-pw-1");

        LoginPages.Answer answer = LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "oscar");
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.page()).contains("You should receive an email shortly");

        ReceivedMessage mail = awaitMailTo("oscar@example.org");
        assertThat(mail.subject()).isEqualTo("Reset password");
        assertThat(mail.from().getAddress()).isEqualTo("sso@example.com");
        assertThat(mail.actionLink()).contains("/realms/" + realm + "/login-actions/action-token?key=");
    }

    @Test
    void verifyEmailArrivesWithItsLink() throws Exception {
        String userId = suite.admin.createUser(realm, "dave", "dave@example.org", "Dave-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/send-verify-email", Map.of()));

        ReceivedMessage mail = awaitMailTo("dave@example.org");
        assertThat(mail.subject()).isEqualTo("Verify email");
        assertThat(mail.from().toString()).isEqualTo("Example SSO <sso@example.com>");
        assertThat(mail.actionLink()).contains("/realms/" + realm + "/login-actions/action-token?key=");
    }

    @Test
    void theConsolesTestConnectionSucceedsAndReallySends() throws Exception {
        AdminApi.expect(204, suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", suite.emailTab()));
        ReceivedMessage mail = awaitMailTo("admin@example.com");
        assertThat(mail.subject()).isEqualTo("[KEYCLOAK] - SMTP test message");
    }

    @Test
    void aWrongPasswordFailsTheTestConnectionAndTheProbeSaysAuthFailedWithItsRemedy() {
        Map<String, String> wrong = suite.emailTab();
        wrong.put("password", "not-the-relay-password");
        // Synchronous, so the console's test is real: Keycloak answers its bare 500.
        AdminApi.Reply test = suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", wrong);
        assertThat(test.status()).isEqualTo(500);

        Map<String, Object> probe = AdminApi.expect(200,
                suite.admin.post("/admin/realms/" + realm + "/outbound-relay/probe", wrong)).json();
        assertThat(probe).containsEntry("settings", "proposed").containsEntry("passed", false)
                .containsEntry("category", "AUTH_FAILED");
        assertThat((String) probe.get("remedy")).contains("refused the credentials", "check the user name and password");
        assertThat(probe.toString()).doesNotContain("not-the-relay-password").doesNotContain(suite.relayPassword);
    }

    @Test
    void implicitTlsAgainstAStarttlsPortIsReportedAsTlsModeMismatch() {
        Map<String, String> mismatch = suite.emailTab();
        mismatch.put("ssl", "true");
        mismatch.put("starttls", "false");
        AdminApi.Reply test = suite.admin.post("/admin/realms/" + realm + "/testSMTPConnection", mismatch);
        assertThat(test.status()).isEqualTo(500);

        Map<String, Object> probe = AdminApi.expect(200,
                suite.admin.post("/admin/realms/" + realm + "/outbound-relay/probe", mismatch)).json();
        assertThat(probe).containsEntry("passed", false).containsEntry("category", "TLS_MODE_MISMATCH");
        assertThat((String) probe.get("remedy")).contains("port 465 speaks implicit TLS");
    }

    @Test
    void theProbeOfTheSavedSettingsPassesEveryStep() {
        Map<String, Object> probe = AdminApi.expect(200,
                suite.admin.post("/admin/realms/" + realm + "/outbound-relay/probe", null)).json();
        assertThat(probe).containsEntry("settings", "saved").containsEntry("passed", true);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) ((Map<String, Object>) probe.get("report")).get("steps");
        assertThat(steps).extracting(s -> s.get("step")).contains("TLS", "AUTH", "MAIL_FROM");
    }

    @Test
    void aMaskedPasswordInProposedSettingsMeansTheSavedOne() {
        Map<String, String> masked = suite.emailTab();
        masked.put("password", "**********");
        Map<String, Object> probe = AdminApi.expect(200,
                suite.admin.post("/admin/realms/" + realm + "/outbound-relay/probe", masked)).json();
        assertThat(probe).containsEntry("passed", true);
    }

    @Test
    void invalidEmailTabSettingsAreRefusedOnSaveNamingTheField() {
        Map<String, String> plaintextAuth = suite.emailTab();
        plaintextAuth.put("starttls", "false");
        AdminApi.Reply reply = suite.admin.put("/admin/realms/" + realm, Map.of("smtpServer", plaintextAuth));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("starttls").contains("Enable StartTLS");
    }
}
