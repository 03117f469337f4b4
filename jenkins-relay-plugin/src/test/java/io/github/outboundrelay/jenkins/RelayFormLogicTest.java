package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import hudson.util.FormValidation;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.ProbeStepResult;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings form end to end without Jenkins: what an administrator types, and what the page answers. */
class RelayFormLogicTest {
    static LoopbackRelayForTests loopback;
    static RecordingJenkinsForTests jenkins;
    static final RelayEndpoint.DescriptorImpl relayRow = new RelayEndpoint.DescriptorImpl();
    static RelayConfiguration page;

    @BeforeAll
    static void start(@TempDir File home) throws Exception {
        loopback = new LoopbackRelayForTests();
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of(
                "relay-login", InMemoryCredentialsForTests.usernamePassword("relay-login", LoopbackRelayForTests.USER, LoopbackRelayForTests.PASSWORD),
                "wrong-login", InMemoryCredentialsForTests.usernamePassword("wrong-login", LoopbackRelayForTests.USER, "not-the-password"))));
        page = new RelayConfiguration();
    }

    @AfterAll
    static void stop() throws Exception {
        jenkins.close();
        loopback.close();
    }

    static void assertError(FormValidation v, String... fragments) {
        assertThat(v.kind).as(v.renderHtml()).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(v.renderHtml()).contains(fragments);
    }

    @Test
    void hostMessagesNameWhatIsWrongAndTheFix() {
        assertError(relayRow.doCheckHost(""), "Enter the relay&#039;s host name");
        assertError(relayRow.doCheckHost("smtp://smtp.example.com"), "is a URL", "without smtp://");
        assertError(relayRow.doCheckHost("smtp.example.com:587"), "includes a port", "port field");
        assertError(relayRow.doCheckHost("smtp example.com"), "is not a host name");
        assertThat(relayRow.doCheckHost("smtp.example.com").kind).isEqualTo(FormValidation.Kind.OK);
    }

    @Test
    void portMessagesCatchNumbersRangesAndTheWrongTlsMode() {
        assertError(relayRow.doCheckPort("five-eight-seven", "STARTTLS"), "is not a number", "587");
        assertError(relayRow.doCheckPort("70000", "STARTTLS"), "outside 1..65535");
        FormValidation mismatch = relayRow.doCheckPort("465", "STARTTLS");
        assertThat(mismatch.kind).isEqualTo(FormValidation.Kind.WARNING);
        assertThat(mismatch.renderHtml()).contains("implicit TLS");
        assertThat(relayRow.doCheckPort("587", "STARTTLS").kind).isEqualTo(FormValidation.Kind.OK);
    }

    @Test
    void addressTimeoutTrustAndPinMessages() {
        assertError(page.doCheckFromAddress(""), "Enter an address");
        assertError(page.doCheckFromAddress("jenkins at example.com"), "is not a valid address");
        assertError(page.doCheckFromAddress("ci@example.com\r\nBcc: everyone@example.com"), "line break");
        assertError(page.doCheckReplyTo("<broken@example.com"), "opening &lt; without a closing &gt;");
        assertError(page.doCheckConnectTimeout("0"), "outside 1..600");
        assertError(page.doCheckReadTimeout("soon"), "is not a whole number of seconds");
        assertError(page.doCheckTrustPem("not a certificate"), "Holds no PEM certificate", "-----BEGIN CERTIFICATE-----");
        assertError(page.doCheckCertificatePins("sha256/too-short"), "is not a sha256/BASE64 pin");
        assertError(page.doCheckMessagesPerMinute("-1"), "outside 0..100000");
        assertError(page.doCheckRetryHours("0"), "outside 1..168");
        assertError(page.doCheckDeadLetterBodyHours("-1"), "outside 0..720");
        assertThat(page.doCheckDeadLetterBodyHours("0").kind).isEqualTo(FormValidation.Kind.OK);
        assertThat(page.doCheckTrustPem(loopback.certificate.pem()).kind).isEqualTo(FormValidation.Kind.OK);
    }

    @Test
    void credentialAndOAuthMessages() {
        assertError(relayRow.doCheckCredentialsId("PASSWORD", ""), "Choose a &quot;Username with password&quot; credential");
        assertError(relayRow.doCheckCredentialsId("PASSWORD", "nobody"), "No &quot;Username with password&quot; credential has the id");
        assertThat(relayRow.doCheckCredentialsId("NONE", "relay-login").kind).isEqualTo(FormValidation.Kind.WARNING);
        assertThat(relayRow.doCheckCredentialsId("PASSWORD", "relay-login").kind).isEqualTo(FormValidation.Kind.OK);
        assertError(relayRow.doCheckTokenUrl("OAUTH2", "http://idp.example.com/token"), "is not an https URL");
        assertError(relayRow.doCheckTokenUrl("OAUTH2", ""), "Is empty", "token endpoint");
        assertThat(relayRow.doCheckTokenUrl("NONE", "").kind).isEqualTo(FormValidation.Kind.OK);
    }

    @Test
    void aTokenUrlThatIsNotAUrlIsAFormErrorNotAServerError() {
        // URI.create threw IllegalArgumentException out of the web method: a 500 with a stack trace.
        assertError(relayRow.doCheckTokenUrl("OAUTH2", "https://idp example.com/token"), "is not a URL", "https token endpoint");
        assertThat(relayRow.doFillCredentialsIdItems("relay-login")).extracting(o -> o.value).contains("relay-login", "wrong-login");
    }

    FormValidation testConnection(String credentialsId, String trustPem) {
        RelayForm.Shared s = loopback.shared();
        return relayRow.doTestConnection("127.0.0.1", loopback.port(), "STARTTLS", "PASSWORD", credentialsId, "", "", "",
                s.fromAddress(), s.fromName(), s.connectTimeout(), s.readTimeout(), trustPem, "");
    }

    @Test
    void testConnectionRunsTheProbeOnUnsavedValuesAndShowsEveryStep() {
        FormValidation v = testConnection("relay-login", loopback.certificate.pem());
        assertThat(v.kind).as(v.renderHtml()).isEqualTo(FormValidation.Kind.OK);
        assertThat(v.renderHtml()).contains("Every step passed: 127.0.0.1:" + loopback.port(), "<pre>", "TLS", "AUTH", "MAIL_FROM")
                .doesNotContain(LoopbackRelayForTests.PASSWORD);
    }

    @Test
    void sendTestEmailDeliversToTheTestRecipient() throws Exception {
        int before = loopback.relay.received().size();
        RelayForm.Shared s = loopback.shared();
        FormValidation v = relayRow.doSendTestEmail("127.0.0.1", loopback.port(), "STARTTLS", "PASSWORD", "relay-login", "", "", "",
                s.fromAddress(), s.fromName(), s.connectTimeout(), s.readTimeout(), s.trustPem(), "", "admin@example.com");
        assertThat(v.kind).as(v.renderHtml()).isEqualTo(FormValidation.Kind.OK);
        var mails = loopback.relay.awaitMessages(before + 1, Duration.ofSeconds(10));
        assertThat(mails.get(before).recipients()).containsExactly("admin@example.com");
    }

    @Test
    void wrongPasswordShowsAuthFailedWithItsRemedy() {
        FormValidation v = testConnection("wrong-login", loopback.certificate.pem());
        assertThat(v.kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(v.renderHtml()).contains("AUTH_FAILED at step AUTH", "the relay refused the credentials: check the user name and password")
                .doesNotContain("not-the-password");
    }

    @Test
    void untrustedCertificateIsReportedNotIgnored() {
        FormValidation v = testConnection("relay-login", "");
        assertThat(v.kind).isEqualTo(FormValidation.Kind.ERROR);
        assertThat(v.renderHtml()).contains("CERTIFICATE_UNTRUSTED");
    }

    @Test
    void invalidFormValuesAreNotProbed() {
        int connections = loopback.relay.connections();
        RelayForm.Shared s = loopback.shared();
        FormValidation v = relayRow.doTestConnection("127.0.0.1", "not-a-port", "STARTTLS", "PASSWORD", "relay-login", "", "", "",
                s.fromAddress(), s.fromName(), s.connectTimeout(), s.readTimeout(), s.trustPem(), "");
        assertError(v, "Not tested: port");
        assertThat(loopback.relay.connections()).isEqualTo(connections);
    }

    @Test
    void reportTextIsEscapedBeforeItBecomesHtml() {
        ProbeReport hostile = new ProbeReport("relay:25", TlsMode.STARTTLS, List.of(new ProbeStepResult(SmtpStep.EHLO,
                ProbeStepResult.Outcome.FAILED, 3, "<script>alert(1)</script>", "554 <img src=x onerror=alert(2)>", Map.of(),
                FailureCategory.PROTOCOL, "see <b>transcript</b>")), List.of("S: 554 <img src=x onerror=alert(2)>"));
        String html = ProbeHtml.render(hostile).renderHtml();
        assertThat(html).doesNotContain("<script>", "<img", "<b>").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
}
