package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import io.github.outboundrelay.testing.TokenEndpoint;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Implicit TLS (port 465 style) against GreenMail's SMTPS server, with AUTH PLAIN and with XOAUTH2. */
class ImplicitTlsRelayTest {
    static SelfSignedCertificate certificate;
    static GreenMail greenMail;

    @BeforeAll
    static void start() throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        Path keystore = Files.createTempFile("greenmail", ".p12");
        certificate.writePkcs12(keystore, "changeit");
        System.setProperty("greenmail.tls.keystore.file", keystore.toString());
        System.setProperty("greenmail.tls.keystore.password", "changeit");
        greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS).dynamicPort())
                .withConfiguration(GreenMailConfiguration.aConfig()
                        .withUser("ci@example.com", "ci@example.com", "pw-465")
                        .withUser("oauth@example.com", "oauth@example.com", "access-token-abc"));
        greenMail.start();
    }

    @AfterAll
    static void stop() {
        greenMail.stop();
        System.clearProperty("greenmail.tls.keystore.file");
        System.clearProperty("greenmail.tls.keystore.password");
    }

    static RelaySettings.Builder smtps(Authentication auth) {
        return RelaySettings.builder().host("127.0.0.1").port(greenMail.getSmtps().getPort())
                .tlsMode(TlsMode.IMPLICIT_TLS).authentication(auth)
                .trust(TrustSettings.pem(certificate.pem()))
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    @Test
    void sendsOverImplicitTlsWithPlainAuthOnOneConnection() throws Exception {
        try (RelayClient client = RelayClient.create(smtps(Authentication.password("ci@example.com", Secret.of("pw-465"))).build())) {
            for (int i = 0; i < 3; i++) {
                Receipt receipt = client.send(OutboundMessage.builder().to("dev@example.com")
                        .subject("SMTPS " + i).html("<p>build <b>ok</b></p>").build());
                assertThat(receipt.reusedConnection()).isEqualTo(i > 0);
            }
        }
        assertThat(greenMail.waitForIncomingEmail(5000, 3)).isTrue();
        assertThat(greenMail.getReceivedMessages()).extracting(MimeMessage::getSubject).contains("SMTPS 0", "SMTPS 1", "SMTPS 2");
    }

    @Test
    void wrongPasswordIsAuthFailed() {
        try (RelayClient client = RelayClient.create(smtps(Authentication.password("ci@example.com", Secret.of("wrong"))).build())) {
            DeliveryException e = catchThrowableOfType(DeliveryException.class,
                    () -> client.send(OutboundMessage.builder().to("dev@example.com").subject("x").text("y").build()));
            assertThat(e.category()).isEqualTo(FailureCategory.AUTH_FAILED);
            assertThat(e.reply().orElseThrow().code()).isEqualTo(535);
        }
    }

    @Test
    void xoauth2FetchesOneTokenAndReusesIt() throws Exception {
        try (TokenEndpoint tokens = new TokenEndpoint("access-token-abc", 3600)) {
            RelaySettings settings = smtps(Authentication.oauth2("oauth@example.com", tokens.url(), "relay-client",
                    Secret.of("client-secret-1"), "https://outlook.office365.com/.default")).build();
            try (RelayClient client = RelayClient.create(settings)) {
                client.send(OutboundMessage.builder().to("dev@example.com").subject("token 1").text("x").build());
                client.send(OutboundMessage.builder().to("dev@example.com").subject("token 2").text("x").build());
                ProbeReport report = client.probe(null);
                assertThat(report.passed()).as(report.toText()).isTrue();
                assertThat(report.steps()).extracting(ProbeStepResult::step).contains(SmtpStep.AUTH_TOKEN, SmtpStep.AUTH);
                assertThat(String.join("\n", report.transcript())).contains("AUTH XOAUTH2 [redacted]")
                        .doesNotContain("access-token-abc");
            }
            assertThat(tokens.requests()).hasSize(1);
            assertThat(tokens.requests().get(0)).contains("grant_type=client_credentials", "client_id=relay-client",
                    "scope=https%3A%2F%2Foutlook.office365.com%2F.default");
        }
    }
}
