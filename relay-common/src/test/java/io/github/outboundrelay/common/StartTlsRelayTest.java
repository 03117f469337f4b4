package io.github.outboundrelay.common;

import io.github.outboundrelay.common.json.Json;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StartTlsRelayTest {
    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;

    @BeforeAll
    static void startRelay() {
        certificate = SelfSignedCertificate.forLoopback();
        relay = EmbeddedRelay.start(certificate.serverContext(), "jenkins", "s3cret-pw");
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    RelaySettings settings() {
        return RelaySettings.builder()
                .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.STARTTLS)
                .authentication(Authentication.password("jenkins", Secret.of("s3cret-pw")))
                .trust(TrustSettings.pem(certificate.pem()))
                .from(MailAddress.of("ci@example.com", "Jenkins", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .build();
    }

    @Test
    void sendsOverStartTlsWithAuthAndReusesOneConnection() throws Exception {
        int before = relay.connections();
        int already = relay.received().size();
        try (RelayClient client = RelayClient.create(settings())) {
            for (int i = 0; i < 5; i++) {
                Receipt receipt = client.send(OutboundMessage.builder().to("alice@example.com")
                        .subject("Build #" + i).text("line one\n.\nline three").build());
                assertThat(receipt.accepted()).containsExactly("alice@example.com");
                assertThat(receipt.finalReply().code()).isEqualTo(250);
                assertThat(receipt.reusedConnection()).isEqualTo(i > 0);
            }
        }
        assertThat(relay.connections() - before).isEqualTo(1);
        var mails = relay.awaitMessages(already + 5, Duration.ofSeconds(5));
        assertThat(mails.get(already).content()).contains("From: Jenkins <ci@example.com>", "Subject: Build #0");
        assertThat(mails.get(already).content()).contains("line one\r\n.\r\nline three");
    }

    @Test
    void probeReportsEveryStepInOrderWithTheCertificate() {
        ProbeReport report = RelayClient.probe(settings(), MailAddress.parse("bob@example.com", "to"));
        assertThat(report.passed()).as(report.toText()).isTrue();
        assertThat(report.steps()).extracting(ProbeStepResult::step).containsExactly(SmtpStep.DNS, SmtpStep.TCP,
                SmtpStep.GREETING, SmtpStep.EHLO, SmtpStep.TLS, SmtpStep.EHLO, SmtpStep.AUTH, SmtpStep.MAIL_FROM,
                SmtpStep.RCPT_TO, SmtpStep.DATA);
        ProbeStepResult tls = report.steps().get(4);
        assertThat(tls.details()).containsKeys("protocol", "cipher", "subject", "issuer", "notAfter", "subjectAltNames", "pin");
        assertThat(tls.details().get("subjectAltNames")).contains("IP:127.0.0.1", "DNS:localhost");
        assertThat(tls.details().get("protocol")).isIn("TLSv1.3", "TLSv1.2");
        assertThat(report.transcript()).contains("C: AUTH PLAIN [redacted]").noneMatch(l -> l.contains("s3cret-pw"));
        assertThat(Json.parseObject(report.toJson())).containsEntry("passed", true);
    }

    @Test
    void connectionTestWithoutRecipientStopsAfterMailFrom() {
        ProbeReport report = RelayClient.probe(settings(), null);
        assertThat(report.passed()).isTrue();
        assertThat(report.steps()).filteredOn(s -> s.outcome() == ProbeStepResult.Outcome.SKIPPED)
                .extracting(ProbeStepResult::step).containsExactly(SmtpStep.RCPT_TO, SmtpStep.DATA);
    }

    @Test
    void utf8AddressesGoThroughARelayOfferingSmtpUtf8() throws Exception {
        int already = relay.received().size();
        try (RelayClient client = RelayClient.create(settings().toBuilder().allowUtf8(true).build())) {
            client.send(OutboundMessage.builder().to("jörg@bücher.example").subject("Grüße").text("Hallo").build());
        }
        EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(already + 1, Duration.ofSeconds(5)).get(already);
        assertThat(mail.recipients()).containsExactly("jörg@bücher.example");
    }

    @Test
    void utf8AddressesAreRefusedWhenNotAllowedOrNotOffered() throws Exception {
        OutboundMessage utf8 = OutboundMessage.builder().to("jörg@bücher.example").subject("x").text("y").build();
        try (RelayClient client = RelayClient.create(settings())) {
            InvalidInputException e = org.assertj.core.api.Assertions.catchThrowableOfType(InvalidInputException.class, () -> client.send(utf8));
            assertThat(e.field()).isEqualTo("allowUtf8");
        }
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(FailureCategoriesTest.plain(peer.port()).allowUtf8(true).build())) {
            DeliveryException e = org.assertj.core.api.Assertions.catchThrowableOfType(DeliveryException.class, () -> client.send(utf8));
            assertThat(e.category()).isEqualTo(FailureCategory.MESSAGE_REJECTED);
            assertThat(e.getMessage()).contains("SMTPUTF8");
            assertThat(peer.receivedCommand("MAIL")).isFalse();
        }
    }
}
