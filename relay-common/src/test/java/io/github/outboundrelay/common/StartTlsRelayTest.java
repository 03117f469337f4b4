package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.demo.EmbeddedRelay;
import io.github.outboundrelay.common.demo.SelfSignedCertificate;
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
    void probeReportsEveryStep() {
        ProbeReport report = RelayClient.probe(settings(), MailAddress.parse("bob@example.com", "to"));
        System.out.println(report.toText());
        assertThat(report.passed()).isTrue();
        assertThat(report.transcript()).noneMatch(l -> l.contains("s3cret-pw"));
    }
}
