package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.demo.EmbeddedRelay;
import io.github.outboundrelay.common.demo.SelfSignedCertificate;
import io.github.outboundrelay.keycloak.testing.SlowRelay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealmRelaysTest {
    static final String USER = "keycloak";
    static final String PASSWORD = "relay-pw-7";

    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;
    static ServerOptions server;

    final RealmRelays relays = new RealmRelays();

    @BeforeAll
    static void startRelay(@TempDir Path dir) throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        relay = EmbeddedRelay.start(certificate.serverContext(), USER, PASSWORD);
        Path bundle = dir.resolve("relay-ca.pem");
        Files.writeString(bundle, certificate.pem());
        server = ServerOptions.parse(Map.of("trust-bundle", bundle.toString(), "hand-over-capacity", "1",
                "delivery-threads", "1")::get, dir);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @AfterEach
    void closeRelays() {
        relays.close();
    }

    static Map<String, String> emailTab(int port) {
        Map<String, String> smtp = new HashMap<>();
        smtp.put("host", "127.0.0.1");
        smtp.put("port", Integer.toString(port));
        smtp.put("starttls", "true");
        smtp.put("auth", "true");
        smtp.put("user", USER);
        smtp.put("password", PASSWORD);
        smtp.put("from", "sso@example.com");
        smtp.put("timeout", "5000");
        return smtp;
    }

    static RelayConfiguration configuration(Map<String, String> smtp) {
        return SmtpServerMapping.read(smtp, UnaryOperator.identity(), server, RealmRelayOptions.DEFAULTS);
    }

    /** As the provider builds it: the From of the Email tab, display name included. */
    static OutboundMessage message(RelayConfiguration configuration, String subject) {
        return OutboundMessage.builder().from(configuration.settings().from()).to("alice@example.com")
                .subject(subject).text("hello").build();
    }

    static OutboundMessage message(String subject) {
        return message(configuration(emailTab(relay.port())), subject);
    }

    @Test
    void deliverReturnsBeforeASlowRelayAnswersAndTheMailArrivesAfterwards() throws Exception {
        try (SlowRelay slow = SlowRelay.start(certificate.serverContext(), USER, PASSWORD, Duration.ofSeconds(2))) {
            long start = System.nanoTime();
            relays.deliver("r1", "acme", configuration(emailTab(slow.port())), message("Slow relay"));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMillis).isLessThan(1000);
            assertThat(slow.received()).isEmpty();
            assertThat(slow.awaitMessages(1, Duration.ofSeconds(15)).get(0)).contains("Subject: Slow relay");
            relays.close(); // before the relay stops: it waits for open connections
        }
    }

    @Test
    void theSameSettingsShareOneRelayAndChangedSettingsRetireIt() throws Exception {
        RelayConfiguration first = configuration(emailTab(relay.port()));
        RealmRelay a = relays.forRealm("r1", "acme", first);
        assertThat(relays.forRealm("r1", "acme", configuration(emailTab(relay.port())))).isSameAs(a);

        Map<String, String> changed = emailTab(relay.port());
        changed.put("fromDisplayName", "Acme SSO");
        RealmRelay b = relays.forRealm("r1", "acme", configuration(changed));
        assertThat(b).isNotSameAs(a);
        assertThat(a.deliver(message("to a retired relay"))).isFalse();

        int before = relay.received().size();
        relays.deliver("r1", "acme", configuration(changed), message(configuration(changed), "after the change"));
        String mail = relay.awaitMessages(before + 1, Duration.ofSeconds(10)).get(before).content();
        assertThat(mail).contains("From: Acme SSO <sso@example.com>", "Subject: after the change");
    }

    @Test
    void aFullHandOverRefusesTheMailAndSaysWhichOptionToRaise() throws Exception {
        try (SlowRelay slow = SlowRelay.start(certificate.serverContext(), USER, PASSWORD, Duration.ofSeconds(2))) {
            RelayConfiguration configuration = configuration(emailTab(slow.port()));
            relays.deliver("r1", "acme", configuration, message("1"));   // on the delivery thread
            Thread.sleep(200);
            relays.deliver("r1", "acme", configuration, message("2"));   // waiting: capacity 1
            assertThatThrownBy(() -> relays.deliver("r1", "acme", configuration, message("3")))
                    .isInstanceOf(RelayBusyException.class)
                    .hasMessageContaining("--spi-email-sender--relay--hand-over-capacity");
            assertThat(relays.counters("r1").refused.get()).isEqualTo(1);
            slow.awaitMessages(2, Duration.ofSeconds(15));
            relays.close(); // before the relay stops: it waits for open connections
        }
    }

    @Test
    void aFailedDeliveryIsCountedAndRecordedWithItsCategory() throws Exception {
        Map<String, String> wrong = emailTab(relay.port());
        wrong.put("password", "not-the-password");
        relays.deliver("r2", "beta", configuration(wrong), message("never"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (relays.counters("r2").failed.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(relays.counters("r2").failed.get()).isEqualTo(1);
        List<DeliveryEvent> events = relays.deliveryLog("r2").recent();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).outcome()).isEqualTo(DeliveryEvent.Outcome.FAILED);
        assertThat(events.get(0).category()).isEqualTo(FailureCategory.AUTH_FAILED);
        assertThat(events.get(0).recipients()).containsExactly("a***@example.com");
    }

    @Test
    void sendNowWithProposedSettingsWaitsForTheRelayAndLeavesTheRealmsRelayAlone() throws Exception {
        RealmRelay live = relays.forRealm("r3", "gamma", configuration(emailTab(relay.port())));
        Map<String, String> proposed = emailTab(relay.port());
        proposed.put("password", "wrong");
        assertThatThrownBy(() -> relays.sendNow("r3", configuration(proposed), message("test")))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).category()).isEqualTo(FailureCategory.AUTH_FAILED));
        assertThat(relays.current("r3")).containsSame(live);
        assertThat(relays.sendNow("r3", configuration(emailTab(relay.port())), message("test")).finalReply().code()).isEqualTo(250);
    }
}
