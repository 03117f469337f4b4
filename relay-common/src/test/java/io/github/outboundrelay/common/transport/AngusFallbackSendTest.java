package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.common.mime.MimeRenderer;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.SelfSignedCertificate;

import jakarta.mail.Session;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.net.SocketFactory;
import org.junit.jupiter.api.Test;

/**
 * The send path's fallback: where {@link RelayConnection} does not know the socket Angus talks over, Angus's own
 * {@code sendMessage} sends the rendered bytes ({@code mime.RenderedMessage}) in lock-step. The socket is unknown
 * when Angus made it with factories other than relay-common's recording ones; that is how these tests reach the
 * fallback (a Session whose socket factories are the JDK's, trusting the test certificate), so no hook is needed.
 * Each case runs on the main path too, against the same kind of server, and both must report the same outcome
 * (the main path's own tests: {@code PipelinedOutcomesTest}, {@code OwnDataWriterOverSocketsTest}).
 */
class AngusFallbackSendTest {
    private static final SelfSignedCertificate CERT = SelfSignedCertificate.forLoopback();
    private static final List<String> THREE = List.of("alice@example.com", "bob@example.com", "carol@example.com");
    private static final List<String> TWO = List.of("alice@example.com", "bob@example.com");

    @Test
    void dotsAtLineStartsAndLongLinesReachARealStartTlsRelayExactlyAsRendered() throws Exception {
        String text = String.join("\n", ".", "..", ".a line that starts with a dot", "x".repeat(998),
                "." + "y".repeat(997), "middle . dot", ".");
        String html = "<p>" + "z".repeat(3000) + "</p>\n.<br>\n..";
        OutboundMessage message = OutboundMessage.builder().to("alice@example.com").subject("dots " + "s".repeat(200))
                .text(text).html(html).build();
        try (EmbeddedRelay relay = EmbeddedRelay.start(CERT.serverContext(), "ci", "pw")) {
            RelaySettings settings = tls(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            byte[] rendered = MimeRenderer.render(message, settings, Instant.now());
            assertThat(new String(rendered, StandardCharsets.US_ASCII))
                    .as("the rendering keeps lines that start with a dot and a line of 998 characters")
                    .contains("\r\n.a line that starts with a dot\r\n", "\r\n" + "x".repeat(998) + "\r\n", "\r\n.\r\n");

            for (boolean fallback : new boolean[] {true, false}) {
                RelayConnection connection = open(settings, fallback);
                try {
                    for (int i = 0; i < 2; i++) {
                        assertThat(connection.send(rendered, "ci@example.com", addresses(List.of("alice@example.com")),
                                settings, System.nanoTime()).accepted()).containsExactly("alice@example.com");
                    }
                } finally {
                    connection.close();
                }
            }

            List<EmbeddedRelay.ReceivedMail> received = relay.awaitMessages(4, Duration.ofSeconds(10));
            assertThat(received).hasSize(4).allSatisfy(mail -> {
                // The server puts its own Received header in front; the rest is the rendering, dot-stuffing undone.
                byte[] data = mail.data();
                assertThat(Arrays.copyOfRange(data, data.length - rendered.length, data.length)).isEqualTo(rendered);
                assertThat(new String(data, 0, data.length - rendered.length, StandardCharsets.US_ASCII))
                        .startsWith("Received:");
            });
            assertThat(relay.connections()).as("one connection per path, each carried two mails").isEqualTo(2);
        }
    }

    @Test
    void aRecipientTheRealRelayRefusesIsReportedBesideTheAcceptedOnes() throws Exception {
        try (EmbeddedRelay relay = EmbeddedRelay.builder(CERT.serverContext(), "ci", "pw")
                .refuseRecipients(a -> a.startsWith("bob@")).start()) {
            RelaySettings settings = tls(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            String expected = "delivered to [alice@example.com, carol@example.com]; refused [bob@example.com 550 RECIPIENT_REJECTED]; usable";

            assertThat(sendOnce(settings, true, THREE)).isEqualTo(expected);
            assertThat(sendOnce(settings, false, THREE)).isEqualTo(expected);
            // Each path: the mail to its two accepted recipients, then the next mail, to alice alone.
            assertThat(relay.awaitMessages(4, Duration.ofSeconds(10))).extracting(EmbeddedRelay.ReceivedMail::recipients)
                    .containsExactly(List.of("alice@example.com", "carol@example.com"), List.of("alice@example.com"),
                            List.of("alice@example.com", "carol@example.com"), List.of("alice@example.com"));
            assertThat(relay.refusals()).containsExactly("bob@example.com", "bob@example.com");
        }
    }

    @Test
    void permanentAndTransientRecipientRefusalsAreReportedAsOnTheMainPath() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.RCPT, "250 2.1.5 Ok", "550 5.1.1 unknown user", "450 4.2.1 mailbox busy"),
                THREE, "delivered to [alice@example.com]; refused [bob@example.com 550 RECIPIENT_REJECTED,"
                        + " carol@example.com 450 RECIPIENT_REJECTED]; usable");
    }

    @Test
    void aRefusedSenderIsASenderFailureAtMailFrom() throws Exception {
        // Only what both paths read is scripted: Angus stops after MAIL, the pipelined main path reads the group.
        assertSameOutcome(peer -> peer.reply(Step.MAIL, "553 5.7.1 Sender address rejected: not owned by user"), TWO, "failed SENDER_REJECTED at MAIL_FROM, 553, permanent; usable");
    }

    @Test
    void everyRecipientRefusedIsARecipientFailureWithTheFirstRefusal() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.RCPT, "550 5.1.1 unknown user", "551 5.1.6 moved"), TWO, "failed RECIPIENT_REJECTED at RCPT_TO, 550, permanent; usable");
    }

    @Test
    void everyRecipientRefusedFirstTransientlyIsATransientRecipientFailure() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.RCPT, "450 4.2.1 mailbox busy", "550 5.1.1 unknown user"),
                TWO, "failed RECIPIENT_REJECTED at RCPT_TO, 450, transient; usable");
    }

    @Test
    void aRefusedDataCommandIsAMessageFailureAtData() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.DATA, "554 5.3.4 Message too big for system"),
                TWO, "failed MESSAGE_REJECTED at DATA, 554, permanent; usable");
    }

    @Test
    void aRefusedMessageIsAMessageFailureAtData() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.END_OF_DATA, "554 5.7.1 Message rejected: spam"),
                TWO, "failed MESSAGE_REJECTED at DATA, 554, permanent; usable");
    }

    @Test
    void aTransientlyRefusedMessageIsTransient() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.END_OF_DATA, "451 4.3.0 try again later"),
                TWO, "failed MESSAGE_REJECTED at DATA, 451, transient; usable");
    }

    @Test
    void a421AmongTheRecipientsRetiresTheConnection() throws Exception {
        // The peer closes the connection after its 421, as relays do.
        assertSameOutcome(peer -> peer.reply(Step.RCPT, "250 2.1.5 Ok", "421 4.3.2 Service shutting down"),
                TWO, "failed CONNECTION_LOST at RCPT_TO, 421, transient; retired");
    }

    @Test
    void aRefusalWhoseResetIsAnswered421ReportsTheRefusalAndRetiresTheConnection() throws Exception {
        assertSameOutcome(peer -> {
            peer.reply(Step.MAIL, "553 5.7.1 Sender address rejected: not owned by user");
            peer.reply(Step.RSET, "421 4.7.0 too many errors");
        }, TWO, "failed SENDER_REJECTED at MAIL_FROM, 553, permanent; retired");
    }

    @Test
    void aConnectionDroppedAfterTheMessageRetiresTheConnection() throws Exception {
        assertSameOutcome(peer -> peer.reply(Step.END_OF_DATA, ScriptedSmtpPeer.DROP),
                TWO, "failed CONNECTION_LOST at DATA, no reply, transient; retired");
    }

    /**
     * The same script on a fresh peer for each path; both outcomes are {@code expected}. A script holds only replies
     * both paths read (Angus sends no DATA after a refused sender or when every recipient was refused): a reply left
     * over would answer the next mail.
     */
    private static void assertSameOutcome(Consumer<ScriptedSmtpPeer> script, List<String> recipients, String expected)
            throws Exception {
        for (boolean fallback : new boolean[] {true, false}) {
            try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start()) {
                script.accept(peer);
                RelaySettings settings = tls(peer.port()).tlsMode(TlsMode.NONE).build();
                assertThat(sendOnce(settings, fallback, recipients)).as(fallback ? "Angus's fallback" : "the main path")
                        .isEqualTo(expected);
                if (expected.endsWith("usable")) {
                    assertThat(peer.connections()).as("the next mail went on the same connection").isEqualTo(1);
                }
            }
        }
    }

    /**
     * One mail on a fresh connection, described: what was delivered and refused, or the failure's category, step,
     * reply code and transience; then whether the connection can carry the next mail, which, when it says so, it
     * must (sent to alice alone, the relay's scripted replies used up).
     */
    private static String sendOnce(RelaySettings settings, boolean fallback, List<String> recipients) throws Exception {
        RelayConnection connection = open(settings, fallback);
        try {
            String outcome;
            try {
                RelayConnection.Delivered delivered = connection.send(bytes("first"), "ci@example.com",
                        addresses(recipients), settings, System.nanoTime());
                outcome = "delivered to " + delivered.accepted() + "; refused " + delivered.rejected().stream()
                        .map(AngusFallbackSendTest::describe).collect(Collectors.joining(", ", "[", "]"));
            } catch (DeliveryException e) {
                outcome = "failed " + e.category() + " at " + e.step().map(Enum::name).orElse("?") + ", "
                        + e.reply().map(r -> Integer.toString(r.code())).orElse("no reply") + ", "
                        + (e.isTransient() ? "transient" : "permanent");
            }
            if (!connection.usable()) {
                return outcome + "; retired";
            }
            assertThat(connection.send(bytes("next"), "ci@example.com", addresses(List.of("alice@example.com")),
                    settings, System.nanoTime()).accepted()).as("the next mail").containsExactly("alice@example.com");
            return outcome + "; usable";
        } finally {
            connection.close();
        }
    }

    private static String describe(Receipt.RejectedRecipient r) {
        return r.address() + " " + r.reply().code() + " " + r.category();
    }

    /**
     * A connection on the main path (relay-common's socket factories: the socket is known) or on Angus's fallback
     * (the JDK's factories, the TLS one trusting the test certificate; Angus still checks the host name).
     */
    private static RelayConnection open(RelaySettings settings, boolean fallback) throws DeliveryException {
        TlsContext tls = TlsContext.create(settings.trust());
        Session session = MailSessionFactory.create(settings, tls);
        if (fallback) {
            Properties properties = new Properties();
            properties.putAll(session.getProperties());
            properties.put("mail.smtp.socketFactory", SocketFactory.getDefault());
            properties.put("mail.smtp.ssl.socketFactory", CERT.clientContext().getSocketFactory());
            session = Session.getInstance(properties);
        }
        RelayConnection connection = RelayConnection.open(session, settings, tls, null, System.nanoTime());
        assertThat(connection.speaksTransactionItself()).as("relay-common speaks the transaction").isEqualTo(!fallback);
        return connection;
    }

    private static List<MailAddress> addresses(List<String> recipients) {
        return recipients.stream().map(a -> MailAddress.parse(a, "to")).toList();
    }

    private static byte[] bytes(String subject) {
        return ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static RelaySettings.Builder tls(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).trust(TrustSettings.pem(CERT.pem()))
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }
}
