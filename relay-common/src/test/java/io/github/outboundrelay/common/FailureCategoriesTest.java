package io.github.outboundrelay.common;

import io.github.outboundrelay.common.tls.CertificatePins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every failure category, produced over real sockets, through both the send path (Angus) and the probe: the
 * category, whether it is transient, and the remedy a person reads.
 */
class FailureCategoriesTest {
    static final Secret PASSWORD = Secret.of("correct-horse-battery");
    /** Made once, when the class loads: the tests of other classes borrow {@link #startTls} too. */
    static final SelfSignedCertificate loopbackCert = SelfSignedCertificate.forLoopback();

    static RelaySettings.Builder plain(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    /** For the tests that wait for a silence to end: short enough to keep the suite quick. */
    static final Timeouts SHORT = new Timeouts(Duration.ofMillis(1500), Duration.ofMillis(1500), Duration.ofMillis(1500));

    static RelaySettings.Builder startTls(int port) {
        return plain(port).tlsMode(TlsMode.STARTTLS).trust(TrustSettings.pem(loopbackCert.pem()))
                .authentication(Authentication.password("ci@example.com", PASSWORD));
    }

    static OutboundMessage message(String... to) {
        return OutboundMessage.builder().to(to.length == 0 ? new String[] {"alice@example.com"} : to)
                .subject("Build failed").text("see the log").build();
    }

    static DeliveryException sendFails(RelaySettings settings) {
        try (RelayClient client = RelayClient.create(settings)) {
            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(message()));
            assertThat(e).as("send must fail").isNotNull();
            return e;
        }
    }

    static ProbeStepResult probeFails(RelaySettings settings) {
        ProbeReport report = RelayClient.probe(settings, MailAddress.parse("alice@example.com", "to"));
        assertThat(report.passed()).as(report.toText()).isFalse();
        assertThat(report.transcript()).noneMatch(l -> l.contains(PASSWORD.reveal()));
        return report.failure().orElseThrow();
    }

    static void assertBoth(RelaySettings settings, FailureCategory category, String remedyPart) {
        DeliveryException sent = sendFails(settings);
        assertThat(sent.category()).as(sent.getMessage()).isEqualTo(category);
        assertThat(sent.remedy()).contains(remedyPart);
        ProbeStepResult step = probeFails(settings);
        assertThat(step.category()).as(step.summary()).isEqualTo(category);
        assertThat(step.remedy()).contains(remedyPart);
    }

    @Test
    void unknownHostIsDns() {
        assertBoth(plain(25).host("no-such-relay.invalid").build(), FailureCategory.DNS, "does not resolve");
    }

    @Test
    void closedPortIsConnectRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertBoth(plain(port).build(), FailureCategory.CONNECT_REFUSED, "check the port");
    }

    @Test
    void silentlyDroppedSynIsConnectTimeout() throws IOException {
        // A listener that never accepts, with its backlog full: the kernel drops further SYNs, as a firewall does.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> filling = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket socket = new Socket();
                    try {
                        socket.connect(s.getLocalSocketAddress(), 200);
                        filling.add(socket);
                    } catch (IOException full) {
                        socket.close();
                        break;
                    }
                }
                RelaySettings settings = plain(s.getLocalPort())
                        .timeouts(new Timeouts(Duration.ofMillis(300), Duration.ofMillis(1000), Duration.ofMillis(1000))).build();
                assertBoth(settings, FailureCategory.CONNECT_TIMEOUT, "firewall");
            } finally {
                for (Socket socket : filling) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void serverDemandingAClientCertificateIsTlsHandshake() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().implicitTls(loopbackCert.serverContext())
                .requireClientCertificate().start()) {
            assertBoth(startTls(peer.port()).tlsMode(TlsMode.IMPLICIT_TLS).build(), FailureCategory.TLS_HANDSHAKE, "TLS");
        }
    }

    @Test
    void selfSignedCertificateNotInTrustIsUntrusted() {
        try (EmbeddedRelay relay = EmbeddedRelay.start(loopbackCert.serverContext(), "ci@example.com", PASSWORD.reveal())) {
            assertBoth(startTls(relay.port()).trust(TrustSettings.jvmDefault()).build(),
                    FailureCategory.CERTIFICATE_UNTRUSTED, "private CA");
        }
    }

    @Test
    void expiredCertificateIsUntrusted() throws IOException {
        SelfSignedCertificate expired = SelfSignedCertificate.create(List.of("IP:127.0.0.1"),
                Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)));
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(expired.serverContext()).start()) {
            assertBoth(startTls(peer.port()).trust(TrustSettings.pem(expired.pem())).build(),
                    FailureCategory.CERTIFICATE_UNTRUSTED, "renew");
        }
    }

    @Test
    void certificateForAnotherNameIsHostnameMismatch() throws IOException {
        SelfSignedCertificate other = SelfSignedCertificate.create(List.of("DNS:relay.other.test"),
                Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1)));
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(other.serverContext()).start()) {
            assertBoth(startTls(peer.port()).trust(TrustSettings.pem(other.pem())).build(),
                    FailureCategory.HOSTNAME_MISMATCH, "host name the certificate names");
        }
    }

    @Test
    void wrongPinIsPinMismatchAndTheRightPinSends() throws Exception {
        String otherKeysPin = CertificatePins.pinOf(SelfSignedCertificate.forLoopback().certificate());
        try (EmbeddedRelay relay = EmbeddedRelay.start(loopbackCert.serverContext(), "ci@example.com", PASSWORD.reveal())) {
            TrustSettings trust = TrustSettings.pem(loopbackCert.pem());
            assertBoth(startTls(relay.port()).trust(trust.withPins(List.of(otherKeysPin))).build(),
                    FailureCategory.CERTIFICATE_PIN_MISMATCH, "update the pin");
            String rightPin = CertificatePins.pinOf(loopbackCert.certificate());
            try (RelayClient client = RelayClient.create(startTls(relay.port()).trust(trust.withPins(List.of(rightPin))).build())) {
                assertThat(client.send(message()).accepted()).containsExactly("alice@example.com");
            }
        }
    }

    @Test
    void implicitTlsOnAStartTlsPortIsTlsModeMismatch() {
        try (EmbeddedRelay relay = EmbeddedRelay.start(loopbackCert.serverContext(), "ci@example.com", PASSWORD.reveal())) {
            assertBoth(startTls(relay.port()).tlsMode(TlsMode.IMPLICIT_TLS).build(), FailureCategory.TLS_MODE_MISMATCH, "465");
        }
    }

    @Test
    void startTlsOnAnImplicitTlsPortIsTlsModeMismatch() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().implicitTls(loopbackCert.serverContext()).start()) {
            assertBoth(startTls(peer.port()).timeouts(SHORT).build(), FailureCategory.TLS_MODE_MISMATCH, "465");
        }
    }

    @Test
    void relayWithoutStartTlsIsRefusedBeforeAnyCredentialOrMail() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().capability("AUTH PLAIN LOGIN").start()) {
            assertBoth(startTls(peer.port()).build(), FailureCategory.STARTTLS_UNAVAILABLE, "never a fallback");
            assertThat(peer.receivedCommand("AUTH")).isFalse();
            assertThat(peer.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void plaintextInjectedBehindTheStartTlsReplyIsRefused() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext())
                .capability("AUTH PLAIN").injectAfterStartTls().start()) {
            ProbeStepResult step = probeFails(startTls(peer.port()).build());
            assertThat(step.step()).isEqualTo(SmtpStep.TLS);
            assertThat(step.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(step.summary()).contains("injection");
            assertThat(peer.receivedCommand("AUTH")).isFalse();
        }
    }

    @Test
    void relayOfferingNoAuthIsRefusedInsteadOfSendingUnauthenticated() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext()).start()) {
            assertBoth(startTls(peer.port()).build(), FailureCategory.AUTH_UNAVAILABLE, "authenticated submission port");
            assertThat(peer.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void relayOfferingOnlyOtherMechanismsIsAuthUnavailable() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext())
                .capability("AUTH CRAM-MD5").start()) {
            assertBoth(startTls(peer.port()).build(), FailureCategory.AUTH_UNAVAILABLE, "mechanism");
            assertThat(peer.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void refusedPasswordIsAuthFailedWithTheReplyAndVendorAdvice() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext())
                .capability("AUTH PLAIN LOGIN").reply(Step.AUTH, "535 5.7.8 Error: authentication failed").start()) {
            assertBoth(startTls(peer.port()).build(), FailureCategory.AUTH_FAILED,
                    "The relay answered 535 5.7.8: the relay refused the credentials: check the user name and password");
            DeliveryException e = sendFails(startTls(peer.port()).build());
            assertThat(e.isTransient()).as("AUTH_FAILED is deferred, not bounced").isTrue();
            assertThat(e.remedy()).contains("Microsoft 365 needs SMTP AUTH enabled for this mailbox");
            assertThat(peer.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void microsoftSmtpAuthDisabledGetsItsOwnRemedy() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext())
                .capability("AUTH LOGIN XOAUTH2")
                .reply(Step.AUTH, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.")
                .start()) {
            assertBoth(startTls(peer.port()).build(), FailureCategory.AUTH_FAILED, "Set-CASMailbox");
        }
    }

    @Test
    void relayDemandingAuthenticationThatIsNotConfiguredSaysSo() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.MAIL, "530 5.7.57 Client not authenticated to send mail").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.AUTH_FAILED, "configure a user name and password");
        }
    }

    @Test
    void tokenEndpointRefusingTheClientIsAuthToken() throws IOException {
        HttpServer tokenEndpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        tokenEndpoint.createContext("/token", exchange -> {
            byte[] body = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tokenEndpoint.start();
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(loopbackCert.serverContext())
                .capability("AUTH XOAUTH2").start()) {
            URI url = URI.create("http://127.0.0.1:" + tokenEndpoint.getAddress().getPort() + "/token");
            RelaySettings settings = startTls(peer.port()).authentication(Authentication.oauth2("ci@example.com", url,
                    "client-id", Secret.of("client-secret-value"), "https://outlook.office365.com/.default")).build();
            assertBoth(settings, FailureCategory.AUTH_TOKEN, "client secret");
            assertThat(sendFails(settings).getMessage()).contains("invalid_client").doesNotContain("client-secret-value");
            assertThat(peer.receivedCommand("AUTH")).isFalse();
        } finally {
            tokenEndpoint.stop(0);
        }
    }

    @Test
    void refusedSenderIsSenderRejectedAndPermanent() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder()
                .reply(Step.MAIL, "550 5.7.60 SMTP; Client does not have permissions to send as this sender").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.SENDER_REJECTED, "allowed to send as");
            assertThat(sendFails(plain(peer.port()).build()).isTransient()).isFalse();
        }
    }

    @Test
    void greylistedSenderIsTransient() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.MAIL, "451 4.7.1 Greylisted, try again later").start()) {
            DeliveryException e = sendFails(plain(peer.port()).build());
            assertThat(e.category()).isEqualTo(FailureCategory.SENDER_REJECTED);
            assertThat(e.isTransient()).isTrue();
        }
    }

    @Test
    void unknownRecipientIsRecipientRejected() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder()
                .reply(Step.RCPT, "550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.RECIPIENT_REJECTED, "spelled correctly");
        }
    }

    @Test
    void oneRefusedRecipientAmongSeveralIsReportedInTheReceipt() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder()
                .reply(Step.RCPT, "550 5.1.1 <nobody@example.com>: User unknown", "250 2.1.5 Ok").start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            Receipt receipt = client.send(message("nobody@example.com", "alice@example.com"));
            assertThat(receipt.accepted()).containsExactly("alice@example.com");
            assertThat(receipt.rejected()).singleElement().satisfies(r -> {
                assertThat(r.address()).isEqualTo("nobody@example.com");
                assertThat(r.reply().code()).isEqualTo(550);
                assertThat(r.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            });
            assertThat(client.deliveryLog().recent()).last().satisfies(event -> {
                assertThat(event.outcome()).isEqualTo(DeliveryEvent.Outcome.PARTIALLY_SENT);
                assertThat(event.recipients()).containsExactly("n***@example.com", "a***@example.com");
            });
        }
    }

    @Test
    void relayingRefusedIsRelayDenied() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder()
                .reply(Step.RCPT, "554 5.7.1 <alice@example.com>: Relay access denied").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.RELAY_DENIED, "allowed to relay");
        }
    }

    @Test
    void blockedClientAtGreetingIsRelayDenied() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().greeting("554 5.7.1 Service unavailable; client host blocked").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.RELAY_DENIED, "allowed to relay");
        }
    }

    @Test
    void oversizedMessageIsMessageRejected() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.END_OF_DATA, "552 5.3.4 Message size exceeds fixed limit").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.MESSAGE_REJECTED, "larger than the relay accepts");
        }
    }

    @Test
    void tarpitThatNeverGreetsIsTimeoutBoundedByTheReadTimeout() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().greeting(null).start()) {
            long start = System.nanoTime();
            assertBoth(plain(peer.port()).timeouts(SHORT).build(), FailureCategory.TIMEOUT, "read timeout");
            // Two sends' worth of read timeout plus the implicit-TLS re-check, never an unbounded wait.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        }
    }

    @Test
    void connectionDroppedMidDataIsConnectionLost() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().dropDuringData().start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.CONNECTION_LOST, "closed the connection");
            assertThat(sendFails(plain(peer.port()).build()).isTransient()).isTrue();
        }
    }

    @Test
    void serverClosingAtGreetingWith421IsConnectionLost() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().greeting("421 4.3.2 Service shutting down").start()) {
            DeliveryException e = sendFails(plain(peer.port()).build());
            assertThat(e.category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(e.isTransient()).isTrue();
        }
    }

    @Test
    void somethingThatIsNotSmtpIsProtocol() throws IOException {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().greeting("HTTP/1.1 400 Bad Request").start()) {
            assertBoth(plain(peer.port()).build(), FailureCategory.PROTOCOL, "transcript");
        }
    }
}
