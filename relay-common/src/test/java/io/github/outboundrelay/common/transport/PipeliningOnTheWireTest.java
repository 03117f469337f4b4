package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.tls.TlsContext;

import jakarta.mail.Session;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 2920 on the wire, read by a peer the test plays: with PIPELINING offered, MAIL, every RCPT and DATA arrive in
 * one piece before the relay answered anything, and the message arrives with its final "." in one piece; without it,
 * the client waits for each reply. Also what the reply reader does with a reply cut off by a close.
 */
class PipeliningOnTheWireTest {
    private static final byte[] MESSAGE = "Subject: hi\r\n\r\n.dot first\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final List<MailAddress> TWO = List.of(MailAddress.parse("alice@example.com", "to"),
            MailAddress.parse("bob@example.com", "to"));

    private final ExecutorService client = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopClient() throws InterruptedException {
        client.shutdownNow();
        assertThat(client.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void withPipeliningTheWholeGroupArrivesInOneReadBeforeAnyReply() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = sendOnce(peer.port());
            peer.greet("PIPELINING");

            // One read, nothing answered yet: a client that waited for the MAIL reply would have sent MAIL alone.
            assertThat(peer.readOnce()).isEqualTo("MAIL FROM:<ci@example.com>\r\nRCPT TO:<alice@example.com>\r\n"
                    + "RCPT TO:<bob@example.com>\r\nDATA\r\n");
            peer.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
            // The message, dot-stuffed, and the end of DATA in one piece.
            assertThat(peer.readOnce()).isEqualTo("Subject: hi\r\n\r\n..dot first\r\nbody\r\n.\r\n");
            peer.write("250 2.0.0 Ok: queued");

            RelayConnection.Delivered delivered = sent.get(10, TimeUnit.SECONDS);
            assertThat(delivered.accepted()).containsExactly("alice@example.com", "bob@example.com");
            assertThat(delivered.rejected()).isEmpty();
            assertThat(delivered.finalReply().code()).isEqualTo(250);
        }
    }

    @Test
    void aLongRecipientListIsPipelinedInWindowsSoThatRepliesNeverPileUp() throws Exception {
        List<MailAddress> many = java.util.stream.IntStream.range(0, 150)
                .mapToObj(i -> MailAddress.parse("r" + i + "@example.com", "to")).toList();
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = client.submit(() -> {
                RelayConnection connection = open(peer.port());
                try {
                    return connection.send(MESSAGE, "ci@example.com", many, settings(peer.port()), System.nanoTime());
                } finally {
                    connection.close();
                }
            });
            peer.greet("PIPELINING");

            List<String> first = peer.readLines(MailTransaction.WINDOW);
            assertThat(first.get(0)).startsWith("MAIL FROM:");
            assertThat(first.subList(1, first.size())).allMatch(l -> l.startsWith("RCPT TO:")).hasSize(MailTransaction.WINDOW - 1);
            assertThat(peer.silentFor(300)).as("no more commands before the window's replies").isTrue();
            peer.write("250 Ok\r\n".repeat(MailTransaction.WINDOW - 1) + "250 Ok");
            List<String> second = peer.readLines(MailTransaction.WINDOW);
            assertThat(second).allMatch(l -> l.startsWith("RCPT TO:"));
            assertThat(peer.silentFor(300)).isTrue();
            peer.write("250 Ok\r\n".repeat(MailTransaction.WINDOW - 1) + "250 Ok");
            int rest = 150 - (MailTransaction.WINDOW - 1) - MailTransaction.WINDOW;
            List<String> last = peer.readLines(rest + 1);
            assertThat(last).last().isEqualTo("DATA");
            assertThat(last).hasSize(rest + 1);
            peer.write("250 Ok\r\n".repeat(rest) + "354 go ahead");
            peer.readUntil("\r\n.\r\n");
            peer.write("250 2.0.0 Ok: queued");

            RelayConnection.Delivered delivered = sent.get(10, TimeUnit.SECONDS);
            assertThat(delivered.accepted()).hasSize(150).startsWith("r0@example.com").endsWith("r149@example.com");
        }
    }

    @Test
    void withoutPipeliningTheClientWaitsForEachReply() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = sendOnce(peer.port());
            peer.greet("SIZE 10240000");

            assertThat(peer.readOnce()).isEqualTo("MAIL FROM:<ci@example.com>\r\n");
            assertThat(peer.silentFor(300)).as("nothing more before the MAIL reply").isTrue();
            peer.write("250 2.1.0 Ok");
            assertThat(peer.readOnce()).isEqualTo("RCPT TO:<alice@example.com>\r\n");
            assertThat(peer.silentFor(300)).as("nothing more before the first RCPT reply").isTrue();
            peer.write("250 2.1.5 Ok");
            assertThat(peer.readOnce()).isEqualTo("RCPT TO:<bob@example.com>\r\n");
            peer.write("250 2.1.5 Ok");
            assertThat(peer.readOnce()).isEqualTo("DATA\r\n");
            assertThat(peer.silentFor(300)).as("no message before 354").isTrue();
            peer.write("354 go ahead");
            assertThat(peer.readUntil("\r\n.\r\n")).isEqualTo("Subject: hi\r\n\r\n..dot first\r\nbody\r\n.\r\n");
            peer.write("250 2.0.0 Ok: queued");

            assertThat(sent.get(10, TimeUnit.SECONDS).accepted()).containsExactly("alice@example.com", "bob@example.com");
        }
    }

    @Test
    void aRelayThatClosesInTheMiddleOfAReplyIsALostConnectionAtThatStep() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = sendOnce(peer.port());
            peer.greet("PIPELINING");
            peer.readOnce();
            peer.writeRaw("250 2.1.0 Ok\r\n250-2.1.5 first line of a longer reply\r\n");
            peer.hangUp();

            DeliveryException e = failure(sent);
            assertThat(e.category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(e.step()).contains(SmtpStep.RCPT_TO);
            assertThat(e.isTransient()).isTrue();
        }
    }

    @Test
    void anExtraReplyLeavesTheMessageUnsentAndTheConnectionUnusable() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = client.submit(() -> {
                RelayConnection connection = open(peer.port());
                try {
                    connection.send(MESSAGE, "ci@example.com", TWO.subList(0, 1), settings(peer.port()), System.nanoTime());
                    return null;
                } catch (DeliveryException e) {
                    assertThat(connection.usable()).isFalse();
                    throw e;
                } finally {
                    connection.close();
                }
            });
            peer.greet("PIPELINING");
            peer.readOnce();
            // One reply too many: the client takes the RCPT's 250 for the answer to DATA.
            peer.write("250 2.1.0 Ok\r\n250 2.0.0 unasked\r\n250 2.1.5 Ok\r\n354 go ahead");

            DeliveryException e = failure(sent);
            assertThat(e.category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(e.step()).contains(SmtpStep.DATA);
            assertThat(e.isTransient()).isTrue();
            assertThat(peer.readOnce()).as("no message, no RSET: only the goodbye").isEqualTo("QUIT\r\n");
        }
    }

    @Test
    void aRelayThatNeverAnswersTheGroupTimesOutAtMail() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<RelayConnection.Delivered> sent = sendOnce(peer.port());
            peer.greet("PIPELINING");
            peer.readOnce(); // and no reply: the client's read timeout (two seconds here) ends the wait

            DeliveryException e = failure(sent);
            assertThat(e.category()).isEqualTo(FailureCategory.TIMEOUT);
            assertThat(e.step()).contains(SmtpStep.MAIL_FROM);
        }
    }

    @Test
    void aNoopAfterIdleIsAnsweredOnTheClientsOwnReader() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Boolean[]> checks = client.submit(() -> {
                RelayConnection connection = open(peer.port());
                try {
                    boolean alive = connection.isAlive();
                    boolean aliveAfterHangUp = connection.isAlive();
                    return new Boolean[] {alive, aliveAfterHangUp, connection.usable()};
                } finally {
                    connection.close();
                }
            });
            peer.greet("PIPELINING");
            assertThat(peer.readOnce()).isEqualTo("NOOP\r\n");
            peer.write("250 2.0.0 Ok");
            assertThat(peer.readOnce()).isEqualTo("NOOP\r\n");
            peer.hangUp();

            Boolean[] result = checks.get(10, TimeUnit.SECONDS);
            assertThat(result[0]).as("alive while the relay answers").isTrue();
            assertThat(result[1]).as("alive after the relay hung up").isFalse();
            assertThat(result[2]).as("usable after the relay hung up").isFalse();
        }
    }

    @Test
    void aLineBreakInAnAddressNeverReachesTheWireBeforeOrAfterNonAsciiCharacters() throws Exception {
        for (String smuggler : List.of("ci@example.com\r\nRCPT TO:<evil@attacker.test>",
                "j\u00f6rg@example.com\r\nRCPT TO:<evil@attacker.test>", "j\u00f6rg@example.com\nRSET")) {
            try (RawSmtpPeer peer = new RawSmtpPeer()) {
                Future<Throwable> refused = client.submit(() -> {
                    RelayConnection connection = open(peer.port());
                    try {
                        connection.send(MESSAGE, smuggler, TWO, settings(peer.port()), System.nanoTime());
                        return null;
                    } catch (IllegalArgumentException e) {
                        return e;
                    } finally {
                        connection.close();
                    }
                });
                peer.greet("PIPELINING", "SMTPUTF8");

                assertThat(refused.get(10, TimeUnit.SECONDS)).as(smuggler).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("line break");
                assertThat(peer.readOnce()).as("nothing of the mail, only the goodbye").isEqualTo("QUIT\r\n");
            }
        }
    }

    private Future<RelayConnection.Delivered> sendOnce(int port) {
        return client.submit(() -> {
            RelayConnection connection = open(port);
            try {
                return connection.send(MESSAGE, "ci@example.com", TWO, settings(port), System.nanoTime());
            } finally {
                connection.close();
            }
        });
    }

    static RelayConnection open(int port) throws DeliveryException {
        RelaySettings settings = settings(port);
        TlsContext tls = TlsContext.create(settings.trust());
        Session session = MailSessionFactory.create(settings, tls);
        RelayConnection connection = RelayConnection.open(session, settings, tls, null, System.nanoTime());
        assertThat(connection.speaksTransactionItself()).isTrue();
        return connection;
    }

    static RelaySettings settings(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(5))).build();
    }

    private static DeliveryException failure(Future<?> sent) throws Exception {
        ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> sent.get(10, TimeUnit.SECONDS));
        assertThat(e).as("the send must fail").isNotNull();
        assertThat(e.getCause()).isInstanceOf(DeliveryException.class);
        return (DeliveryException) e.getCause();
    }
}
