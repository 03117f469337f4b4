package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayMetersTest {
    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;
    static Path bundle;

    @TempDir
    Path keycloakHome;
    ServerOptions server;
    final RealmRelays relays = new RealmRelays();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final RelayMeters meters = new RelayMeters(registry, relays);

    @BeforeAll
    static void startRelay(@TempDir Path dir) throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        relay = EmbeddedRelay.start(certificate.serverContext(), RealmRelaysTest.USER, RealmRelaysTest.PASSWORD);
        bundle = dir.resolve("relay-ca.pem");
        Files.writeString(bundle, certificate.pem());
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @BeforeEach
    void serverOptions() {
        server = ServerOptions.parse(Map.of("trust-bundle", bundle.toString())::get, keycloakHome);
    }

    @AfterEach
    void close() {
        meters.close();
        relays.close();
    }

    RelayConfiguration configuration(int port) {
        return SmtpServerMapping.read(RealmRelaysTest.emailTab(port), UnaryOperator.identity(), server, RealmRelayOptions.DEFAULTS);
    }

    double value(String name, String... tags) {
        Meter meter = registry.find(name).tags(tags).meter();
        assertThat(meter).as(name + " " + String.join(",", tags)).isNotNull();
        return meter.measure().iterator().next().getValue();
    }

    @Test
    void aRealmGetsMetersOnceItHasAQueueAndTheyFollowItsMail() throws Exception {
        meters.refresh();
        assertThat(registry.getMeters()).isEmpty();

        RelayConfiguration configuration = configuration(relay.port());
        relays.deliver("r1", "acme", configuration, RealmRelaysTest.message(configuration, "counted"));
        meters.refresh();
        relay.awaitMessages(1, Duration.ofSeconds(15));
        RealmRelaysTest.await("the sent counter", () -> value("outbound.relay.sent", "realm", "acme") == 1.0);

        assertThat(value("outbound.relay.submitted", "realm", "acme")).isEqualTo(1.0);
        assertThat(value("outbound.relay.queue.depth", "realm", "acme")).isZero();
        assertThat(value("outbound.relay.dead.letters", "realm", "acme")).isZero();
        String relayName = "127.0.0.1:" + relay.port();
        assertThat(value("outbound.relay.relay.up", "realm", "acme", "relay", relayName)).isEqualTo(1.0);
        assertThat(value("outbound.relay.relay.state", "realm", "acme", "relay", relayName, "state", "HEALTHY")).isEqualTo(1.0);
        assertThat(value("outbound.relay.relay.state", "realm", "acme", "relay", relayName, "state", "COOLING_DOWN")).isZero();
        assertThat(value("outbound.relay.failed", "realm", "acme", "category", "AUTH_FAILED")).isZero();
        for (String rate : new String[] {"hard.bounce.rate.24h", "complaint.rate.24h", "hard.bounce.rate.7d", "complaint.rate.7d"}) {
            assertThat(value("outbound.relay." + rate, "realm", "acme")).as(rate + " with no report read").isZero();
        }
        assertThat(value("outbound.relay.suppressed.recipients", "realm", "acme")).isZero();
        // Only bounded tags: realm, relay, category, state. Never an address.
        registry.getMeters().forEach(m -> m.getId().getTags().forEach(t -> {
            assertThat(t.getKey()).isIn("realm", "relay", "category", "state");
            assertThat(t.getValue()).doesNotContain("@");
        }));
    }

    @Test
    void aDownRelayShowsInTheStateTheDepthAndTheFailuresByCategory() throws Exception {
        int down = RealmRelaysTest.downPort();
        RelayConfiguration configuration = configuration(down);
        relays.deliver("r2", "beta", configuration, RealmRelaysTest.message(configuration, "waiting"));
        meters.refresh();
        // The meters read a snapshot up to a second old: wait until it holds both the failure and the deferral.
        RealmRelaysTest.await("the refused connection and the deferral", () -> value("outbound.relay.failed", "realm", "beta",
                "category", "CONNECT_REFUSED") >= 1.0 && value("outbound.relay.deferred", "realm", "beta") >= 1.0);
        String relayName = "127.0.0.1:" + down;
        assertThat(value("outbound.relay.queue.depth", "realm", "beta")).isEqualTo(1.0);
        assertThat(value("outbound.relay.relay.up", "realm", "beta", "relay", relayName)).isZero();
        assertThat(value("outbound.relay.relay.state", "realm", "beta", "relay", relayName, "state", "COOLING_DOWN")).isEqualTo(1.0);
    }

    @Test
    void aRemovedRealmLosesItsMetersAndChangedRelaysReplaceTheirs() throws Exception {
        relays.forRealm("r3", "gamma", configuration(relay.port()));
        relays.forRealm("r4", "delta", configuration(relay.port()));
        meters.refresh();
        assertThat(registry.find("outbound.relay.queue.depth").tag("realm", "gamma").gauge()).isNotNull();

        int other = RealmRelaysTest.downPort();
        relays.forRealm("r4", "delta", configuration(other));
        relays.remove("r3", "gamma", keycloakHome.resolve("data/outbound-relay/spool/r3"));
        meters.realmRemoved();

        assertThat(registry.getMeters()).noneMatch(m -> "gamma".equals(m.getId().getTag("realm")));
        assertThat(registry.find("outbound.relay.relay.up").tag("realm", "delta").gauges())
                .extracting(g -> g.getId().getTag("relay")).containsExactly("127.0.0.1:" + other);
    }
}
