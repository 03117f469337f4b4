package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RelayClient#sendChain} over real sockets (ScriptedSmtpPeer): mails chained on one connection where the relay
 * offers PIPELINING, one mail only where it does not, each outcome reported and logged as {@code send} reports and
 * logs it.
 */
class ChainedSendTest {

    @Test
    void whereTheRelayPipelinesTheFeedsMailsGoOnOneConnectionEachLoggedWithItsAttempt() throws Exception {
        DeliveryLog log = new DeliveryLog(10);
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(settings(peer.port()), log)) {
            Feed feed = new Feed(mail("one", 1), mail("two", 2), mail("three", 1));
            client.sendChain(feed);

            assertThat(feed.asked).as("three mails, then none").isEqualTo(4);
            assertThat(feed.receipts).extracting(Receipt::reusedConnection).containsExactly(false, true, true);
            assertThat(peer.awaitReceived(3, Duration.ofSeconds(10))).hasSize(3);
            assertThat(peer.messageIds()).containsExactlyElementsOf(feed.mails.stream().map(m -> m.message().messageId()).toList());
            assertThat(peer.connections()).isEqualTo(1);
            assertThat(peer.lines()).as("no RSET, no NOOP between chained mails").noneMatch(l -> l.equals("RSET") || l.equals("NOOP"));
            assertThat(log.recent()).extracting(DeliveryEvent::outcome).containsOnly(DeliveryEvent.Outcome.SENT).hasSize(3);
            assertThat(log.recent()).extracting(DeliveryEvent::attempt).containsExactlyInAnyOrder(1, 2, 1);
            assertThat(client.idleConnections()).as("the connection goes back to the pool").isEqualTo(1);
        }
    }

    @Test
    void whereTheRelayDoesNotPipelineOnlyTheFirstMailGoesAsSendSendsIt() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().ehloReply("250-peer.test\r\n250 8BITMIME").start();
             RelayClient client = RelayClient.create(settings(peer.port()))) {
            Feed feed = new Feed(mail("one", 1), mail("two", 1));
            client.sendChain(feed);

            assertThat(feed.asked).as("the feed is not asked for a second mail").isEqualTo(1);
            assertThat(feed.receipts).hasSize(1);
            assertThat(peer.awaitReceived(1, Duration.ofSeconds(10))).hasSize(1);
            assertThat(peer.commands(ScriptedSmtpPeer.Step.MAIL)).isEqualTo(1);
        }
    }

    @Test
    void aMailTheseSettingsCannotSendIsReportedAndTheChainGoesOn() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(settings(peer.port()))) {
            OutboundMessage tooLarge = OutboundMessage.builder().to("alice@example.com").subject("large")
                    .text("x".repeat(4096)).build();
            Feed feed = new Feed(mail("one", 1), new Mail(tooLarge, null, 1), mail("three", 1));
            client.sendChain(feed);

            assertThat(feed.invalid).singleElement().satisfies(e -> assertThat(e.getMessage()).contains("maxMessageBytes"));
            assertThat(feed.receipts).hasSize(2);
            assertThat(peer.awaitReceived(2, Duration.ofSeconds(10))).hasSize(2);
            assertThat(peer.connections()).isEqualTo(1);
        }
    }

    @Test
    void aPooledConnectionTheRelayDroppedGivesTheFirstMailOneMoreTryOnAFreshOne() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().closeAfterMessages(1).start();
             RelayClient client = RelayClient.create(settings(peer.port()))) {
            client.sendChain(new Feed(mail("one", 1)));
            assertThat(client.idleConnections()).as("pooled: the client does not know yet").isEqualTo(1);

            Feed second = new Feed(mail("two", 1));
            client.sendChain(second);

            assertThat(second.failures).isEmpty();
            assertThat(second.receipts).singleElement().satisfies(r -> assertThat(r.reusedConnection()).isFalse());
            assertThat(peer.awaitReceived(2, Duration.ofSeconds(10))).hasSize(2);
            assertThat(peer.connections()).isEqualTo(2);
        }
    }

    private static Mail mail(String subject, int attempt) {
        return new Mail(OutboundMessage.builder().to("alice@example.com").subject(subject).text("body of " + subject).build(),
                null, attempt);
    }

    private record Mail(OutboundMessage message, byte[] rendered, int attempt) implements MailFeed.Mail {
    }

    /** Gives its mails in turn and keeps what it is told. */
    private static final class Feed implements MailFeed {
        final List<Mail> mails;
        final List<Receipt> receipts = new ArrayList<>();
        final List<DeliveryException> failures = new ArrayList<>();
        final List<InvalidInputException> invalid = new ArrayList<>();
        int asked;

        Feed(Mail... mails) {
            this.mails = List.of(mails);
        }

        @Override
        public MailFeed.Mail next() {
            return asked < mails.size() ? mails.get(asked++) : none();
        }

        private MailFeed.Mail none() {
            asked++;
            return null;
        }

        @Override
        public void sent(MailFeed.Mail mail, Receipt receipt) {
            assertThat(receipt.messageId()).isEqualTo(mail.message().messageId());
            receipts.add(receipt);
        }

        @Override
        public void failed(MailFeed.Mail mail, DeliveryException failure) {
            failures.add(failure);
        }

        @Override
        public void invalid(MailFeed.Mail mail, InvalidInputException failure) {
            invalid.add(failure);
        }
    }

    private static RelaySettings settings(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from")).maxMessageBytes(2048)
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5))).build();
    }
}
