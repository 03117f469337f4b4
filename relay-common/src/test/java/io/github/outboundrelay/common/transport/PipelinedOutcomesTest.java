package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.SelfSignedCertificate;

import jakarta.mail.Session;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a pipelined mail transaction reports, on real sockets (ScriptedSmtpPeer offers PIPELINING; EmbeddedRelay, a
 * real STARTTLS+AUTH relay, does not): the same outcomes as Angus's lock-step sendMessage gave, RFC 2920's rules for
 * a group that fails half-way, and connections reused only while the conversation is in step.
 */
class PipelinedOutcomesTest {
    private static final SelfSignedCertificate CERT = SelfSignedCertificate.forLoopback();

    @Test
    void aRefusedRecipientIsReportedAndTheNextMailTakesTheSameConnection() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.RCPT, "250 2.1.5 Ok", "550 5.1.1 unknown user", "250 2.1.5 Ok").start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            Receipt first = client.send(twoRecipients("first"));
            Receipt second = client.send(twoRecipients("second"));

            assertThat(first.accepted()).containsExactly("alice@example.com");
            assertThat(first.rejected()).singleElement().satisfies(r -> {
                assertThat(r.address()).isEqualTo("bob@example.com");
                assertThat(r.reply().code()).isEqualTo(550);
                assertThat(r.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            });
            assertThat(second.accepted()).containsExactly("alice@example.com", "bob@example.com");
            assertThat(second.reusedConnection()).isTrue();
            assertThat(peer.awaitReceived(2, Duration.ofSeconds(10))).extracting(ScriptedSmtpPeer.Received::recipients)
                    .containsExactly(List.of("alice@example.com"), List.of("alice@example.com", "bob@example.com"));
            assertThat(peer.connections()).isEqualTo(1);
            assertThat(peer.lines()).filteredOn(l -> l.startsWith("MAIL")).hasSize(2);
        }
    }

    @Test
    void everyRecipientRefusedAndDataRefusedIsARecipientFailureFollowedByRset() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.RCPT, "550 5.1.1 unknown user", "550 5.1.1 unknown user");
            peer.reply(Step.DATA, "503 5.5.1 Error: no valid recipients");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(twoRecipients("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(e.step()).contains(SmtpStep.RCPT_TO);
            assertThat(e.reply().orElseThrow().code()).isEqualTo(550);
            assertThat(e.isTransient()).isFalse();
            assertThat(peer.lines()).last().isEqualTo("RSET");
            assertThat(peer.commands(Step.END_OF_DATA)).as("no message after a refused DATA").isZero();
            assertThat(client.send(twoRecipients("next")).reusedConnection()).isTrue();
            assertThat(peer.connections()).isEqualTo(1);
        }
    }

    @Test
    void everyRecipientRefusedButDataOpenedEndsWithADotAloneAndNoBody() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.RCPT, "450 4.2.1 mailbox busy", "550 5.1.1 unknown user");
            // A relay that opens DATA anyway (RFC 2920 allows it) and takes the empty message.

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(twoRecipients("secret body")));

            assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(e.reply().orElseThrow().code()).as("the first refusal").isEqualTo(450);
            assertThat(e.isTransient()).isTrue();
            List<ScriptedSmtpPeer.Received> received = peer.awaitReceived(1, Duration.ofSeconds(10));
            assertThat(received.get(0).data()).as("only the final dot went after 354").isEmpty();
            assertThat(peer.lines()).last().isEqualTo("RSET");
            assertThat(client.send(twoRecipients("next")).reusedConnection()).isTrue();
        }
    }

    @Test
    void aRefusedSenderReadsTheWholeGroupSendsNoMessageAndResets() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.MAIL, "553 5.7.1 Sender address rejected: not owned by user");
            peer.reply(Step.RCPT, "503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: need MAIL command");
            peer.reply(Step.DATA, "503 5.5.1 Error: need RCPT command");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(twoRecipients("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.SENDER_REJECTED);
            assertThat(e.step()).contains(SmtpStep.MAIL_FROM);
            assertThat(e.reply().orElseThrow().code()).isEqualTo(553);
            assertThat(peer.lines()).extracting(l -> l.split("[ :]", 2)[0])
                    .endsWith("MAIL", "RCPT", "RCPT", "DATA", "RSET");
            assertThat(peer.commands(Step.END_OF_DATA)).isZero();
            // The group's three 503 were all read: the next mail's replies are its own.
            Receipt next = client.send(twoRecipients("next"));
            assertThat(next.accepted()).hasSize(2);
            assertThat(next.reusedConnection()).isTrue();
        }
    }

    @Test
    void a421InTheMiddleOfTheGroupClosesTheConnection() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.RCPT, "250 2.1.5 Ok", "421 4.3.2 Service shutting down");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(twoRecipients("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(e.step()).contains(SmtpStep.RCPT_TO);
            assertThat(e.reply().orElseThrow().code()).isEqualTo(421);
            assertThat(e.isTransient()).isTrue();
            assertThat(client.idleConnections()).isZero();
            assertThat(client.send(twoRecipients("next")).reusedConnection()).isFalse();
            assertThat(peer.connections()).isEqualTo(2);
        }
    }

    @Test
    void aRefusedMessageIsClassifiedAtData() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.END_OF_DATA, "554 5.7.1 Message rejected: spam");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(twoRecipients("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.MESSAGE_REJECTED);
            assertThat(e.step()).contains(SmtpStep.DATA);
            assertThat(peer.lines()).last().isEqualTo("RSET");
            assertThat(client.send(twoRecipients("next")).reusedConnection()).isTrue();
        }
    }

    @Test
    void anExtraReplyPutsTheConversationOutOfStepAndTheConnectionIsNotReused() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.MAIL, "250 2.1.0 Ok\r\n250 2.0.0 nobody asked for this");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(oneRecipient("x")));

            // Each reply was taken for the next command's: DATA got the RCPT's 250 instead of 354.
            assertThat(e.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(e.step()).contains(SmtpStep.DATA);
            assertThat(e.isTransient()).as("not the relay refusing the mail: try again").isTrue();
            assertThat(client.idleConnections()).isZero();
            assertThat(client.send(oneRecipient("next")).reusedConnection()).isFalse();
        }
    }

    @Test
    void anExtraLineAfterTheFinalReplyDeliversTheMailButRetiresTheConnection() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.END_OF_DATA, "250 2.0.0 Ok: queued\r\n250 2.0.0 and something more");

            Receipt receipt = client.send(oneRecipient("x"));

            assertThat(receipt.accepted()).containsExactly("alice@example.com");
            assertThat(client.idleConnections()).isZero();
            assertThat(client.send(oneRecipient("next")).reusedConnection()).isFalse();
            assertThat(peer.connections()).isEqualTo(2);
        }
    }

    @Test
    void garbageInsteadOfAReplyIsAProtocolFailure() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.RCPT, "\u0000\u0001 hello, this is not SMTP");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(oneRecipient("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(e.step()).contains(SmtpStep.RCPT_TO);
            assertThat(e.getMessage()).doesNotContain("hello").doesNotContain("alice");
            assertThat(client.idleConnections()).isZero();
        }
    }

    @Test
    void aReplyLineOverTheLimitIsRefused() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.MAIL, "250 " + "x".repeat(SmtpReplyReader.MAX_LINE));

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(oneRecipient("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(e.step()).contains(SmtpStep.MAIL_FROM);
            assertThat(e.getMessage()).contains("longer than " + SmtpReplyReader.MAX_LINE);
            assertThat(client.idleConnections()).isZero();
        }
    }

    @Test
    void aReplyOfTooManyLinesIsRefused() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(plain(peer.port()).build())) {
            peer.reply(Step.MAIL, "250-more\r\n".repeat(SmtpReplyReader.MAX_LINES) + "250 Ok");

            DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(oneRecipient("x")));

            assertThat(e.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(e.getMessage()).contains(SmtpReplyReader.MAX_LINES + " lines");
            assertThat(client.idleConnections()).isZero();
        }
    }

    @Test
    void aUtf8AddressGoesPipelinedWithSmtpUtf8OnMailFromAsAngusSentIt() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().capability("SMTPUTF8").start();
             RelayClient client = RelayClient.create(plain(peer.port()).allowUtf8(true).build())) {
            Receipt receipt = client.send(OutboundMessage.builder().to("jörg@bücher.example").subject("Grüße").text("Hallo").build());

            assertThat(receipt.accepted()).containsExactly("jörg@bücher.example");
            assertThat(peer.lines()).contains("MAIL FROM:<ci@example.com> SMTPUTF8", "RCPT TO:<jörg@bücher.example>");
        }
    }

    @Test
    void implicitTlsPipelinesTwoMailsOnOneConnection() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().implicitTls(CERT.serverContext()).start()) {
            RelaySettings settings = plain(peer.port()).tlsMode(TlsMode.IMPLICIT_TLS).trust(TrustSettings.pem(CERT.pem())).build();
            assertTwoPipelinedMails(settings, peer);
        }
    }

    @Test
    void startTlsWithAuthPipelinesTwoMailsOnOneConnection() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(CERT.serverContext()).capability("AUTH PLAIN LOGIN").start()) {
            RelaySettings settings = plain(peer.port()).tlsMode(TlsMode.STARTTLS).trust(TrustSettings.pem(CERT.pem()))
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            assertTwoPipelinedMails(settings, peer);
            assertThat(peer.lines()).anyMatch(l -> l.startsWith("AUTH"));
        }
    }

    @Test
    void aRealStartTlsRelayWithoutPipeliningGetsLockStepAndRefusedRecipientsReported() throws Exception {
        try (EmbeddedRelay relay = EmbeddedRelay.builder(CERT.serverContext(), "ci", "pw")
                .refuseRecipients(a -> a.startsWith("bob@")).start()) {
            RelaySettings settings = plain(relay.port()).tlsMode(TlsMode.STARTTLS).trust(TrustSettings.pem(CERT.pem()))
                    .authentication(Authentication.password("ci", Secret.of("pw"))).build();
            RelayConnection connection = open(settings);
            try {
                assertThat(connection.pipelines()).as("subethasmtp offers no PIPELINING").isFalse();
                for (int i = 0; i < 2; i++) {
                    RelayConnection.Delivered delivered = connection.send(bytes("m" + i), "ci@example.com",
                            List.of(MailAddress.parse("alice@example.com", "to"), MailAddress.parse("bob@example.com", "to")),
                            settings, System.nanoTime());
                    assertThat(delivered.accepted()).containsExactly("alice@example.com");
                    assertThat(delivered.rejected()).extracting(Receipt.RejectedRecipient::address).containsExactly("bob@example.com");
                }
                assertThat(connection.usable()).isTrue();
            } finally {
                connection.close();
            }
            assertThat(relay.awaitMessages(2, Duration.ofSeconds(10))).allSatisfy(m ->
                    assertThat(m.recipients()).containsExactly("alice@example.com"));
            assertThat(relay.connections()).isEqualTo(1);
        }
    }

    private static void assertTwoPipelinedMails(RelaySettings settings, ScriptedSmtpPeer peer) throws Exception {
        RelayConnection connection = open(settings);
        try {
            assertThat(connection.pipelines()).isTrue();
            for (int i = 0; i < 2; i++) {
                RelayConnection.Delivered delivered = connection.send(bytes("m" + i), "ci@example.com",
                        List.of(MailAddress.parse("alice@example.com", "to")), settings, System.nanoTime());
                assertThat(delivered.accepted()).containsExactly("alice@example.com");
            }
            assertThat(connection.isAlive()).isTrue();
            assertThat(connection.usable()).isTrue();
        } finally {
            connection.close();
        }
        assertThat(peer.awaitReceived(2, Duration.ofSeconds(10))).extracting(ScriptedSmtpPeer.Received::data)
                .containsExactly("Subject: m0\r\n\r\nbody\r\n", "Subject: m1\r\n\r\nbody\r\n");
        assertThat(peer.connections()).isEqualTo(1);
    }

    private static RelayConnection open(RelaySettings settings) throws DeliveryException {
        TlsContext tls = TlsContext.create(settings.trust());
        Session session = MailSessionFactory.create(settings, tls);
        RelayConnection connection = RelayConnection.open(session, settings, tls, null, System.nanoTime());
        assertThat(connection.speaksTransactionItself()).isTrue();
        return connection;
    }

    private static byte[] bytes(String subject) {
        return ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static OutboundMessage twoRecipients(String subject) {
        return OutboundMessage.builder().to("alice@example.com", "bob@example.com").subject(subject).text("x").build();
    }

    private static OutboundMessage oneRecipient(String subject) {
        return OutboundMessage.builder().to("alice@example.com").subject(subject).text("x").build();
    }

    private static RelaySettings.Builder plain(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }
}
