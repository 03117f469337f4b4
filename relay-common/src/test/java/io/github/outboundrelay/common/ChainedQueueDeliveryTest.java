package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's backlog chained on a relay that offers PIPELINING, against Postfix's smtp-sink (a real SMTP server) behind
 * a proxy that counts the client's round trips: each mail arrives exactly once, in about one round trip per mail
 * instead of two, a chain on a failover relay ends as soon as the preferred relay is healthy again, so mail of
 * two relays never shares a chain, and a chain past the connection reuse time limit ends, the backlog going on on a
 * new connection.
 */
class ChainedQueueDeliveryTest {
    @TempDir
    Path dir;
    final ManualTime time = new ManualTime();
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    final DeliveryLog log = new DeliveryLog(200);
    final ExecutorService runner = Executors.newSingleThreadExecutor();

    @AfterEach
    void closeAll() throws Exception {
        runner.shutdownNow();
        assertThat(runner.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    @Test
    void aBacklogGoesOutOnceEachInOneRoundTripPerMail() throws Exception {
        SmtpSinkProcess sink = sink();
        TurnCountingProxy relay = proxy(0, sink.port());
        MailQueue queue = start(settings(relay.port()));
        int n = 30;
        List<String> submitted = submit(queue, 0, n);

        assertThat(queue.runUntilQuiet(Duration.ofSeconds(60))).as("%s", log.recent()).isEqualTo(n);

        assertThat(sink.awaitMessages(n, 20)).as("every mail exactly once").containsExactlyInAnyOrderElementsOf(submitted);
        assertThat(relay.connections()).isEqualTo(1);
        // EHLO; the first mail alone (envelope, message: a new relay's first mail is its breaker's trial, and nothing
        // is chained behind a trial); the second mail's envelope; then per mail one group: its message, ".", and the
        // next mail's envelope (the last message alone). Mail by mail would take 2 per mail: 61 here.
        assertThat(relay.clientTurns()).as("%s", relay.turnStarts()).isLessThan(2 * n).isEqualTo(n + 3);
        assertThat(queue.metrics().sent()).isEqualTo(n);
    }

    @Test
    void aChainOnTheFailoverRelayEndsWhenThePreferredRelayIsHealthyAgain() throws Exception {
        SmtpSinkProcess preferredSink = sink();
        SmtpSinkProcess failoverSink = sink();
        int preferredPort = freePort(); // nobody listens there yet: the preferred relay refuses connections
        TurnCountingProxy failover = proxy(0, failoverSink.port());
        MailQueue queue = start(settings(preferredPort), settings(failover.port()));

        // The preferred relay refuses, its breaker opens for 10 s (of the test's clock); the failover relay takes the mail.
        List<String> first = submit(queue, 0, 1);
        queue.runUntilQuiet(Duration.ofSeconds(30));
        assertThat(failoverSink.awaitMessages(1, 20)).containsExactlyElementsOf(first);

        // A backlog; the failover relay's replies to its first envelope are held while the preferred relay comes
        // back and its cool-down passes.
        failover.pause();
        List<String> backlog = submit(queue, 1, 6);
        Future<Integer> run = runner.submit(() -> queue.runUntilQuiet(Duration.ofSeconds(60)));
        assertThat(failover.awaitHeld(20)).as("the failover relay's sender waits for replies").isTrue();
        proxy(preferredPort, preferredSink.port());
        time.advance(Duration.ofSeconds(11));
        failover.resume();
        run.get(60, TimeUnit.SECONDS);

        List<String> onFailover = failoverSink.awaitMessages(2, 20);
        List<String> onPreferred = preferredSink.awaitMessages(5, 20);
        assertThat(onFailover).as("the mail in flight, and nothing chained behind it").hasSize(2).containsAll(first);
        assertThat(onPreferred).as("the rest went back to the preferred relay").hasSize(5);
        List<String> all = new ArrayList<>(onFailover);
        all.addAll(onPreferred);
        List<String> expected = new ArrayList<>(first);
        expected.addAll(backlog);
        assertThat(all).as("every mail exactly once").containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void pastTheConnectionReuseTimeLimitTheBacklogGoesOnOnNewConnectionsEachMailOnce() throws Exception {
        SmtpSinkProcess sink = sink();
        TurnCountingProxy relay = proxy(0, sink.port());
        // A limit of zero: every connection is past it by the time its first mail is under way, so every chain ends
        // after that mail, and the queue's sender must take each next due mail on a new connection.
        MailQueue queue = start(b -> b.connectionReuseTimeLimit(Duration.ZERO), settings(relay.port()));
        int n = 10;
        List<String> submitted = submit(queue, 0, n);

        assertThat(queue.runUntilQuiet(Duration.ofSeconds(60))).as("%s", log.recent()).isEqualTo(n);

        assertThat(sink.awaitMessages(n, 20)).as("every mail exactly once").containsExactlyInAnyOrderElementsOf(submitted);
        assertThat(relay.connections()).as("one connection per mail").isEqualTo(n);
        assertThat(queue.metrics().sent()).isEqualTo(n);
        assertThat(log.recent()).extracting(DeliveryEvent::outcome).containsOnly(DeliveryEvent.Outcome.SENT).hasSize(n);
    }

    private List<String> submit(MailQueue queue, int from, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            OutboundMessage mail = SpoolTestSupport.mail(i);
            queue.submit(mail);
            ids.add(mail.messageId());
        }
        return ids;
    }

    private MailQueue start(RelaySettings... relays) {
        return start(b -> b, relays);
    }

    private MailQueue start(java.util.function.UnaryOperator<MailQueue.Builder> more, RelaySettings... relays) {
        MailQueue.Builder builder = more.apply(MailQueue.builder().spoolDirectory(dir.resolve("spool")));
        for (RelaySettings relay : relays) {
            builder.relay(relay);
        }
        MailQueue queue = builder.relayCooldown(Duration.ofSeconds(10), Duration.ofMinutes(1))
                .clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5)).deliveryLog(log)
                .manualDispatch()
                .build();
        closeAfter.add(0, queue);
        return queue;
    }

    /** One connection per relay, so that the queue's backlog for it is one chain. */
    private static RelaySettings settings(int port) {
        return RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE).maxConnections(1)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(5))).build();
    }

    private SmtpSinkProcess sink() throws Exception {
        SmtpSinkProcess sink = SmtpSinkProcess.start();
        closeAfter.add(sink);
        return sink;
    }

    private TurnCountingProxy proxy(int port, int target) throws Exception {
        TurnCountingProxy proxy = new TurnCountingProxy(port, target);
        closeAfter.add(0, proxy);
        return proxy;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
