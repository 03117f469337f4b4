package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.SmtpStep;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Chained mails (RFC 2920 section 3.1) on the wire, read by a peer the test plays: the message of one mail, its "."
 * and the next mail's MAIL, RCPT and DATA arrive in one piece, and each failure point ends with the outcomes the
 * chain promises: a refusal fails only its mail, a lost or out-of-step connection fails the mails in flight as
 * transient failures and never reports one sent without its 250 to ".".
 */
class ChainedMailsOnTheWireTest {
    private static final String ENVELOPE_ALICE = "MAIL FROM:<ci@example.com>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n";
    private static final String ENVELOPE_BOB = "MAIL FROM:<ci@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n";
    private static final String ENVELOPE_CAROL = "MAIL FROM:<ci@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n";
    private static final String BODY_ALICE = "Subject: one\r\n\r\n..dot first\r\nfor alice\r\n.\r\n"; // as on the wire
    private static final String BODY_BOB = "Subject: two\r\n\r\nfor bob\r\n.\r\n";
    private static final String BODY_CAROL = "Subject: three\r\n\r\nfor carol\r\n.\r\n";

    private final ExecutorService client = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopClient() throws InterruptedException {
        client.shutdownNow();
        assertThat(client.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theMessageItsDotAndTheNextMailsEnvelopeArriveInOneReadAndEachMailGetsItsOwnReply() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            peer.greet("PIPELINING");

            assertThat(peer.readOnce()).isEqualTo(ENVELOPE_ALICE);
            peer.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
            // One read: mail 1's message, its end, and mail 2's whole envelope, before any reply to them.
            assertThat(peer.readOnce()).isEqualTo(BODY_ALICE + ENVELOPE_BOB);
            assertThat(peer.silentFor(300)).as("no message of mail 2 before its 354").isTrue();
            peer.write("250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
            assertThat(peer.readOnce()).as("the last message goes with nothing behind it").isEqualTo(BODY_BOB);
            peer.write("250 2.0.0 Ok: queued as TWO");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.outcomes).hasSize(2);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            assertThat(done.sent(0).accepted()).containsExactly("alice@example.com");
            assertThat(done.sent(1).finalReply().text()).endsWith("TWO");
            assertThat(done.sent(1).accepted()).containsExactly("bob@example.com");
            assertThat(done.usable).isTrue();
            assertThat(done.asked).as("asked for a third mail, got none").isEqualTo(3);
        }
    }

    @Test
    void aRefusedEnvelopeFailsOnlyItsMailAndTheChainGoesOnAfterRset() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob(), carol());
            aliceOpened(peer);
            assertThat(peer.readOnce()).isEqualTo(BODY_ALICE + ENVELOPE_BOB);
            peer.write("250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n550 5.1.1 unknown user\r\n503 5.5.1 no valid recipients");
            assertThat(peer.readOnce()).as("no message of mail 2, the transaction reset").isEqualTo("RSET\r\n");
            peer.write("250 2.0.0 Ok");
            assertThat(peer.readOnce()).as("mail 3 starts a group of its own").isEqualTo(ENVELOPE_CAROL);
            peer.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
            assertThat(peer.readOnce()).isEqualTo(BODY_CAROL);
            peer.write("250 2.0.0 Ok: queued as THREE");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            DeliveryException refused = done.failed(1);
            assertThat(refused.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(refused.reply().orElseThrow().code()).isEqualTo(550);
            assertThat(done.sent(2).finalReply().text()).endsWith("THREE");
            assertThat(done.usable).isTrue();
        }
    }

    @Test
    void dataOpenedAlthoughEveryRecipientWasRefusedIsEndedByADotAloneWithoutTheMessage() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            assertThat(peer.readOnce()).isEqualTo(BODY_ALICE + ENVELOPE_BOB);
            peer.write("250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n550 5.1.1 unknown user\r\n354 go ahead");
            assertThat(peer.readOnce()).as("an empty message, not bob's").isEqualTo(".\r\n");
            peer.write("250 2.0.0 Ok: empty");
            assertThat(peer.readOnce()).isEqualTo("RSET\r\n");
            peer.write("250 2.0.0 Ok");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(done.failed(1).isTransient()).isFalse();
            assertThat(done.usable).isTrue();
        }
    }

    @Test
    void aRefusedMessageFailsOnlyItsMailAndTheMailBehindItGoesOnWithoutRset() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce();
            peer.write("554 5.7.1 looks like spam\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
            assertThat(peer.readOnce()).as("the relay ended mail 1's transaction itself: no RSET").isEqualTo(BODY_BOB);
            peer.write("250 2.0.0 Ok: queued as TWO");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            DeliveryException refused = done.failed(0);
            assertThat(refused.category()).isEqualTo(FailureCategory.MESSAGE_REJECTED);
            assertThat(refused.step()).contains(SmtpStep.DATA);
            assertThat(refused.isTransient()).isFalse();
            assertThat(done.sent(1).finalReply().text()).endsWith("TWO");
            assertThat(done.usable).isTrue();
        }
    }

    @Test
    void a421ToTheDotFailsThatMailAndTheMailBehindItTransientlyAndNeitherMessageFollows() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob(), carol());
            aliceOpened(peer);
            peer.readOnce();
            peer.write("421 4.3.2 shutting down");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.outcomes).as("mail 3 was never taken").hasSize(2);
            assertThat(done.failed(0).reply().orElseThrow().code()).isEqualTo(421);
            assertThat(done.failed(0).isTransient()).isTrue();
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
            assertThat(done.asked).isEqualTo(2);
            assertThat(peer.readOnce()).as("no message of mail 2, only the goodbye").isEqualTo("QUIT\r\n");
        }
    }

    @Test
    void aConnectionLostBeforeTheDotWasAnsweredFailsBothMailsTransiently() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce();
            peer.hangUp();

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.failed(0).category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(done.failed(0).step()).contains(SmtpStep.DATA);
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(done.failed(1).step()).contains(SmtpStep.MAIL_FROM);
            assertThat(done.failed(0).isTransient()).isTrue();
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
        }
    }

    @Test
    void aConnectionLostAfterTheDotWasAnsweredKeepsThatMailSent() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce();
            peer.write("250 2.0.0 Ok: queued as ONE");
            peer.hangUp();

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.CONNECTION_LOST);
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
        }
    }

    @Test
    void aDotAnsweredOutOfStepFailsBothMailsAsProtocolAndRetiresTheConnection() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce();
            // A 354 where the reply to "." was due: whatever follows answers other commands than the client thinks.
            peer.write("354 go ahead\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.failed(0).category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(done.failed(0).isTransient()).isTrue();
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
            assertThat(peer.readOnce()).as("no message of mail 2, only the goodbye").isEqualTo("QUIT\r\n");
        }
    }

    @Test
    void moreRepliesThanCommandsBeforeAMessageKeepItUnsent() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce();
            peer.write("250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n250 2.0.0 unasked");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.PROTOCOL);
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
            assertThat(peer.readOnce()).as("no message of mail 2, only the goodbye").isEqualTo("QUIT\r\n");
        }
    }

    @Test
    void aRelayThatStopsAnsweringMidChainTimesOutBothMailsInFlight() throws Exception {
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), bob());
            aliceOpened(peer);
            peer.readOnce(); // and no reply: the client's read timeout (two seconds here) ends the wait

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.failed(0).category()).isEqualTo(FailureCategory.TIMEOUT);
            assertThat(done.failed(0).isTransient()).isTrue();
            assertThat(done.failed(1).category()).isEqualTo(FailureCategory.TIMEOUT);
            assertThat(done.failed(1).isTransient()).isTrue();
            assertThat(done.usable).isFalse();
        }
    }

    @Test
    void aLongRecipientListBehindAMessageIsStillPipelinedInWindows() throws Exception {
        List<MailAddress> many = java.util.stream.IntStream.range(0, 100)
                .mapToObj(i -> MailAddress.parse("r" + i + "@example.com", "to")).toList();
        try (RawSmtpPeer peer = new RawSmtpPeer()) {
            Future<Chain> chain = chain(peer.port(), alice(), new ChainedMails.Envelope("ci@example.com", many,
                    "Subject: many\r\n\r\nfor all\r\n".getBytes(StandardCharsets.US_ASCII)));
            aliceOpened(peer);
            // The first window: mail 1's message and "." count for one reply, then MAIL and 62 RCPTs.
            String first = peer.readUntil("RCPT TO:<r61@example.com>\r\n");
            assertThat(first).startsWith(BODY_ALICE + "MAIL FROM:<ci@example.com>\r\nRCPT TO:<r0@example.com>\r\n");
            assertThat(peer.silentFor(300)).as("no more commands before the window's replies").isTrue();
            peer.write("250 2.0.0 Ok: queued as ONE\r\n250 2.1.0 Ok\r\n" + "250 2.1.5 Ok\r\n".repeat(61) + "250 2.1.5 Ok");
            List<String> rest = peer.readLines(39);
            assertThat(rest.get(0)).isEqualTo("RCPT TO:<r62@example.com>");
            assertThat(rest).last().isEqualTo("DATA");
            peer.write("250 2.1.5 Ok\r\n".repeat(38) + "354 go ahead");
            assertThat(peer.readUntil("\r\n.\r\n")).isEqualTo("Subject: many\r\n\r\nfor all\r\n.\r\n");
            peer.write("250 2.0.0 Ok: queued as TWO");

            Chain done = chain.get(10, TimeUnit.SECONDS);
            assertThat(done.sent(0).finalReply().text()).endsWith("ONE");
            assertThat(done.sent(1).accepted()).hasSize(100);
        }
    }

    private static ChainedMails.Envelope alice() {
        return mail("alice@example.com", "Subject: one\r\n\r\n.dot first\r\nfor alice\r\n");
    }

    private static ChainedMails.Envelope bob() {
        return mail("bob@example.com", "Subject: two\r\n\r\nfor bob\r\n");
    }

    private static ChainedMails.Envelope carol() {
        return mail("carol@example.com", "Subject: three\r\n\r\nfor carol\r\n");
    }

    private static ChainedMails.Envelope mail(String to, String message) {
        return new ChainedMails.Envelope("ci@example.com", List.of(MailAddress.parse(to, "to")),
                message.getBytes(StandardCharsets.US_ASCII));
    }

    /** Runs a chain of these mails on a new connection; its outcomes in order, and whether the connection stayed usable. */
    private Future<Chain> chain(int port, ChainedMails.Envelope... mails) {
        return client.submit(() -> {
            RelayConnection connection = open(port);
            try {
                Chain chain = new Chain(List.of(mails));
                connection.chain(chain, PipeliningOnTheWireTest.settings(port), System.nanoTime());
                chain.usable = connection.usable();
                return chain;
            } finally {
                connection.close();
            }
        });
    }

    /** The mails, given in turn, and each outcome as it was told. */
    private static final class Chain implements ChainedMails {
        final List<Envelope> mails;
        final List<Object> outcomes = new ArrayList<>();
        int asked;
        volatile boolean usable;

        Chain(List<Envelope> mails) {
            this.mails = mails;
        }

        @Override
        public Envelope next() {
            return asked < mails.size() ? mails.get(asked++) : mailsEnd();
        }

        private Envelope mailsEnd() {
            asked++;
            return null;
        }

        @Override
        public void done(RelayConnection.Delivered delivered, DeliveryException failure) {
            assertThat(delivered == null).as("exactly one outcome").isNotEqualTo(failure == null);
            outcomes.add(delivered != null ? delivered : failure);
        }

        RelayConnection.Delivered sent(int i) {
            assertThat(outcomes.get(i)).as("mail %d sent", i + 1).isInstanceOf(RelayConnection.Delivered.class);
            return (RelayConnection.Delivered) outcomes.get(i);
        }

        DeliveryException failed(int i) {
            assertThat(outcomes.get(i)).as("mail %d failed", i + 1).isInstanceOf(DeliveryException.class);
            return (DeliveryException) outcomes.get(i);
        }
    }

    /** Greets as a pipelining relay, takes mail 1's envelope (alice's: every chain here starts with her) and opens its DATA. */
    private static void aliceOpened(RawSmtpPeer peer) throws java.io.IOException {
        peer.greet("PIPELINING");
        assertThat(peer.readOnce()).isEqualTo(ENVELOPE_ALICE);
        peer.write("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead");
    }

    /** A plain connection as {@link PipeliningOnTheWireTest} opens it, to a peer that offered PIPELINING. */
    private static RelayConnection open(int port) throws DeliveryException {
        RelayConnection connection = PipeliningOnTheWireTest.open(port);
        assertThat(connection.chains()).isTrue();
        return connection;
    }
}
