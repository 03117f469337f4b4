package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The pool: bounded, expiring idle connections, and reconnecting when the relay dropped one. */
class ConnectionReuseTest {

    static OutboundMessage message(int i) {
        return OutboundMessage.builder().to("alice@example.com").subject("m" + i).text("x").build();
    }

    @Test
    void concurrentSendersShareAtMostMaxConnections() throws Exception {
        SelfSignedCertificate cert = SelfSignedCertificate.forLoopback();
        try (EmbeddedRelay relay = EmbeddedRelay.start(cert.serverContext(), "u", "p");
             RelayClient client = RelayClient.create(FailureCategoriesTest.plain(relay.port()).tlsMode(TlsMode.STARTTLS)
                     .trust(TrustSettings.pem(cert.pem()))
                     .authentication(Authentication.password("u", Secret.of("p"))).maxConnections(2).build())) {
            ExecutorService senders = Executors.newFixedThreadPool(6);
            try {
                List<Future<Receipt>> receipts = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    int n = i;
                    receipts.add(senders.submit(() -> client.send(message(n))));
                }
                for (Future<Receipt> r : receipts) {
                    assertThat(r.get(30, TimeUnit.SECONDS).accepted()).hasSize(1);
                }
            } finally {
                senders.shutdownNow();
            }
            assertThat(relay.connections()).isBetween(1, 2);
            assertThat(relay.awaitMessages(30, Duration.ofSeconds(10))).hasSize(30);
        }
    }

    @Test
    void idleConnectionsExpire() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = RelayClient.create(FailureCategoriesTest.plain(peer.port()).idleTimeout(Duration.ofSeconds(30)).build())) {
            client.send(message(1));
            assertThat(client.idleConnections()).isEqualTo(1);
            long justBefore = System.nanoTime() + Duration.ofSeconds(29).toNanos();
            assertThat(client.pool().cleanup(justBefore)).isPositive();
            assertThat(client.idleConnections()).isEqualTo(1);
            assertThat(client.pool().cleanup(System.nanoTime() + Duration.ofSeconds(31).toNanos())).isEqualTo(-1);
            assertThat(client.idleConnections()).isZero();
            client.send(message(2));
            assertThat(peer.connections()).isEqualTo(2);
        }
    }

    @Test
    void aConnectionTheRelayDroppedIsReplacedWithoutFailingTheSend() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().closeAfterMessages(1).start();
             RelayClient client = RelayClient.create(FailureCategoriesTest.plain(peer.port()).build())) {
            Receipt first = client.send(message(1));
            Receipt second = client.send(message(2));
            Receipt third = client.send(message(3));
            assertThat(first.reusedConnection()).isFalse();
            assertThat(second.accepted()).containsExactly("alice@example.com");
            assertThat(third.accepted()).containsExactly("alice@example.com");
            assertThat(peer.connections()).isEqualTo(3);
        }
    }

    @Test
    void aConnectionIdleForOverASecondIsCheckedWithNoopBeforeReuse() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().start();
             RelayClient client = new RelayClient(FailureCategoriesTest.plain(peer.port()).build(),
                     new DeliveryLog(10), Clock.systemUTC(), now::get)) {
            client.send(message(1));
            now.addAndGet(Duration.ofMillis(500).toNanos());
            client.send(message(2));
            assertThat(peer.receivedCommand("NOOP")).as("no check for a connection used half a second ago").isFalse();
            now.addAndGet(Duration.ofSeconds(2).toNanos());
            assertThat(client.send(message(3)).reusedConnection()).isTrue();
            assertThat(peer.receivedCommand("NOOP")).isTrue();
            assertThat(peer.connections()).isEqualTo(1);
        }
    }

    @Test
    void aRefusedRecipientLeavesTheConnectionUsable() throws Exception {
        try (ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().reply(Step.RCPT, "550 5.1.1 unknown", "250 2.1.5 Ok").start();
             RelayClient client = RelayClient.create(FailureCategoriesTest.plain(peer.port()).build())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(message(1))).isInstanceOf(DeliveryException.class);
            assertThat(client.send(message(2)).reusedConnection()).isTrue();
            assertThat(peer.connections()).isEqualTo(1);
        }
    }
}
