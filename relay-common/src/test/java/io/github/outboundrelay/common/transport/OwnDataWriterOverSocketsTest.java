package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.SelfSignedCertificate;

import jakarta.mail.Session;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * relay-common's DATA writer on real sockets: it is the one in use on plain, implicit TLS and STARTTLS connections
 * (the socket Angus talks over is found every time), servers receive the message dot-stuffed once and with CRLF line
 * ends, and a relay that stops reading is ended by the write timeout.
 */
class OwnDataWriterOverSocketsTest {
    private static final SelfSignedCertificate CERT = SelfSignedCertificate.forLoopback();
    /** Dots at line starts and at the end, bare CR and LF, an open last line. */
    private static final String RAW = "Subject: dots\r\n\r\n.first\n..second\r.\r\nmiddle . dot\r\n.";
    private static final String ON_THE_SERVER = "Subject: dots\r\n\r\n.first\r\n..second\r\n.\r\nmiddle . dot\r\n.\r\n";

    @Test
    void plainConnectionsWriteTheMessageThemselvesAndTheServerReadsItBack() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start()) {
            RelaySettings settings = base(peer.port()).tlsMode(TlsMode.NONE).build();
            sendTwiceOnOneConnection(settings);
            assertReceivedTwice(peer);
        }
    }

    @Test
    void implicitTlsConnectionsWriteTheMessageThemselves() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().implicitTls(CERT.serverContext()).start()) {
            RelaySettings settings = base(peer.port()).tlsMode(TlsMode.IMPLICIT_TLS).build();
            sendTwiceOnOneConnection(settings);
            assertReceivedTwice(peer);
        }
    }

    @Test
    void startTlsConnectionsWriteTheMessageThemselvesOverTheTlsSocket() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(CERT.serverContext())
                .capability("AUTH PLAIN LOGIN").start()) {
            RelaySettings settings = base(peer.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            sendTwiceOnOneConnection(settings);
            assertReceivedTwice(peer);
        }
    }

    @Test
    void aRealStartTlsRelayReceivesTheMessageUnstuffed() throws Exception {
        try (EmbeddedRelay relay = EmbeddedRelay.start(CERT.serverContext(), "ci", "pw")) {
            RelaySettings settings = base(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            sendTwiceOnOneConnection(settings);
            List<EmbeddedRelay.ReceivedMail> received = relay.awaitMessages(2, Duration.ofSeconds(10));
            for (EmbeddedRelay.ReceivedMail mail : received) {
                String data = new String(mail.data(), StandardCharsets.US_ASCII);
                assertThat(data).endsWith(ON_THE_SERVER); // after the server's own Received header
            }
        }
    }

    @Test
    void aRelayThatStopsReadingDuringDataIsEndedByTheWriteTimeout() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().stallDuringData().start()) {
            assertWriteTimesOut(base(peer.port()).tlsMode(TlsMode.NONE));
        }
    }

    @Test
    void aTlsRelayThatStopsReadingDuringDataIsEndedByTheWriteTimeout() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().implicitTls(CERT.serverContext()).stallDuringData().start()) {
            assertWriteTimesOut(base(peer.port()).tlsMode(TlsMode.IMPLICIT_TLS));
        }
    }

    private static void assertWriteTimesOut(RelaySettings.Builder builder) throws Exception {
        {
            RelaySettings settings = builder
                    .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(800))).build();
            TlsContext tls = TlsContext.create(settings.trust());
            Session session = MailSessionFactory.create(settings, tls);
            RelayConnection connection = RelayConnection.open(session, settings, tls, null, System.nanoTime());
            // Far more than the socket buffers on both sides hold: the write blocks once they are full.
            byte[] large = ("Subject: big\r\n\r\n" + "x".repeat(990) + "\r\n").repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> connection.send(large, "ci@example.com",
                    List.of(MailAddress.parse("alice@example.com", "to")), settings, System.nanoTime()));
            connection.close();

            assertThat(e).as("the send must fail").isNotNull();
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            assertThat(e.category()).as(trace.toString()).isEqualTo(FailureCategory.TIMEOUT);
            assertThat(e.isTransient()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    private static RelaySettings.Builder base(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).trust(TrustSettings.pem(CERT.pem()))
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    private static void sendTwiceOnOneConnection(RelaySettings settings) throws Exception {
        TlsContext tls = TlsContext.create(settings.trust());
        Session session = MailSessionFactory.create(settings, tls);
        RelayConnection connection = RelayConnection.open(session, settings, tls, null, System.nanoTime());
        try {
            assertThat(connection.speaksTransactionItself()).as("the socket Angus talks over was found").isTrue();
            for (int i = 0; i < 2; i++) {
                RelayConnection.Delivered delivered = connection.send(RAW.getBytes(StandardCharsets.US_ASCII),
                        "ci@example.com", List.of(MailAddress.parse("alice@example.com", "to")), settings,
                        System.nanoTime());
                assertThat(delivered.accepted()).containsExactly("alice@example.com");
            }
        } finally {
            connection.close();
        }
    }

    private static void assertReceivedTwice(ScriptedSmtpPeer peer) throws InterruptedException {
        List<ScriptedSmtpPeer.Received> received = peer.awaitReceived(2, Duration.ofSeconds(10));
        assertThat(received).hasSize(2);
        assertThat(received).allSatisfy(r -> assertThat(r.data()).isEqualTo(ON_THE_SERVER));
        assertThat(peer.connections()).isEqualTo(1);
    }
}
