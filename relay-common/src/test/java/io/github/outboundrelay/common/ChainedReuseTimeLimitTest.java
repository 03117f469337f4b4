package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.transport.MailFeed;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A long chain against Postfix's smtp-sink (a real SMTP server that offers PIPELINING) behind a proxy that counts
 * connections, with a short connection reuse time limit and the client's clock driven by the feed (one second per
 * mail taken): once the connection is past the limit, the chain ends after the mail under way, the connection is
 * closed, and the feed's next mails go on a new connection, as the queue's sender goes on after a chain; every mail
 * arrives exactly once.
 */
class ChainedReuseTimeLimitTest {
    private static final Duration LIMIT = Duration.ofSeconds(10);
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    @Test
    void pastTheLimitTheChainEndsAfterTheMailUnderWayAndGoesOnOnANewConnection() throws Exception {
        SmtpSinkProcess sink = SmtpSinkProcess.start();
        closeAfter.add(sink);
        TurnCountingProxy relay = new TurnCountingProxy(0, sink.port());
        closeAfter.add(0, relay);
        AtomicLong now = new AtomicLong(1_000 * SECOND);
        RelayClient client = new RelayClient(settings(relay.port()), new DeliveryLog(100), Clock.systemUTC(), now::get, LIMIT);
        closeAfter.add(0, client);
        int n = 15;
        Feed feed = new Feed(n, now);

        // What the queue's sender does after a chain ends while mail is due: the next chain, on whatever the pool
        // gives. Bounded: a chain that never took a mail would not end the loop otherwise.
        List<Integer> idleAfterEachChain = new ArrayList<>();
        for (int chain = 0; chain < 5 && !feed.exhausted(); chain++) {
            feed.startChain();
            client.sendChain(feed);
            idleAfterEachChain.add(client.idleConnections());
        }

        // The connection opens once mail 0 is taken; mail k + 1 is taken when the connection is k s old. Mail 11 is
        // taken at 10 s, the limit exactly (still within it); at 11 s the chain ends instead of taking mail 12.
        assertThat(feed.mailsPerChain).as("mails 0-11 on the first connection, 12-14 on the second").containsExactly(12, 3);
        assertThat(feed.failures).isEmpty();
        assertThat(feed.invalid).isEmpty();
        assertThat(feed.receipts).extracting(Receipt::reusedConnection).containsExactly(
                false, true, true, true, true, true, true, true, true, true, true, true,
                false, true, true);
        assertThat(idleAfterEachChain).as("past the limit the connection is closed, not pooled; the young one is pooled")
                .containsExactly(0, 1);
        assertThat(relay.connections()).isEqualTo(2);
        assertThat(sink.awaitMessages(n, 20)).as("every mail exactly once, none cut")
                .containsExactlyInAnyOrderElementsOf(feed.ids);
    }

    /** Mails 0 to n-1 in order; the client's clock moves one second each time a mail is taken. */
    private static final class Feed implements MailFeed {
        final List<String> ids = new ArrayList<>();
        final List<Receipt> receipts = new ArrayList<>();
        final List<DeliveryException> failures = new ArrayList<>();
        final List<InvalidInputException> invalid = new ArrayList<>();
        final List<Integer> mailsPerChain = new ArrayList<>();
        private final List<OutboundMessage> mails = new ArrayList<>();
        private final AtomicLong now;
        private int taken;

        Feed(int n, AtomicLong now) {
            this.now = now;
            for (int i = 0; i < n; i++) {
                OutboundMessage mail = SpoolTestSupport.mail(i);
                mails.add(mail);
                ids.add(mail.messageId());
            }
        }

        void startChain() {
            mailsPerChain.add(0);
        }

        boolean exhausted() {
            return taken == mails.size();
        }

        @Override
        public Mail next() {
            if (exhausted()) {
                return null;
            }
            OutboundMessage message = mails.get(taken++);
            mailsPerChain.set(mailsPerChain.size() - 1, mailsPerChain.get(mailsPerChain.size() - 1) + 1);
            now.addAndGet(SECOND);
            return new Taken(message);
        }

        @Override
        public void sent(Mail mail, Receipt receipt) {
            assertThat(receipt.messageId()).isEqualTo(mail.message().messageId());
            receipts.add(receipt);
        }

        @Override
        public void failed(Mail mail, DeliveryException failure) {
            failures.add(failure);
        }

        @Override
        public void invalid(Mail mail, InvalidInputException failure) {
            invalid.add(failure);
        }
    }

    private record Taken(OutboundMessage message) implements MailFeed.Mail {
        @Override
        public byte[] rendered() {
            return null;
        }

        @Override
        public int attempt() {
            return 1;
        }
    }

    private static RelaySettings settings(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE).maxConnections(1)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(5))).build();
    }
}
