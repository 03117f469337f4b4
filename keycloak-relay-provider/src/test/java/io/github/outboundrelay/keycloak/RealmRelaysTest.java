package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealmRelaysTest {
    static final String USER = "keycloak";
    static final String PASSWORD = "relay-pw-7";

    static SelfSignedCertificate certificate;
    static EmbeddedRelay relay;
    static Path bundle;

    @TempDir
    Path keycloakHome;
    ServerOptions server;
    RealmRelays relays = new RealmRelays();

    @BeforeAll
    static void startRelay(@TempDir Path dir) throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        relay = EmbeddedRelay.start(certificate.serverContext(), USER, PASSWORD);
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

    RelayConfiguration configuration(Map<String, String> smtp) {
        return configuration(smtp, RealmRelayOptions.DEFAULTS);
    }

    RelayConfiguration configuration(Map<String, String> smtp, RealmRelayOptions tab) {
        return SmtpServerMapping.read(smtp, UnaryOperator.identity(), server, tab);
    }

    /** As the provider builds it: the From of the Email tab, display name included. */
    static OutboundMessage message(RelayConfiguration configuration, String subject) {
        return OutboundMessage.builder().from(configuration.settings().from()).to("alice@example.com")
                .subject(subject).text("hello").build();
    }

    static int downPort() throws IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort(); // nothing listens here once it is closed: a relay that is down
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Poll.until(what, Duration.ofSeconds(15), condition);
    }

    @Test
    void deliverReturnsBeforeASlowRelayAnswersAndTheMailArrivesAfterwards() throws Exception {
        try (EmbeddedRelay slow = EmbeddedRelay.builder(certificate.serverContext(), USER, PASSWORD)
                .delayPerMessage(Duration.ofSeconds(2)).start()) {
            RelayConfiguration configuration = configuration(emailTab(slow.port()));
            long start = System.nanoTime();
            relays.deliver("r1", "acme", configuration, message(configuration, "Slow relay"));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMillis).isLessThan(1000);
            assertThat(slow.received()).isEmpty();
            assertThat(slow.awaitMessages(1, Duration.ofSeconds(15)).get(0).content()).contains("Subject: Slow relay");
            relays.close(); // before the relay stops: it waits for open connections
        }
    }

    @Test
    void theQueueSpoolsUnderTheSpoolDirectoryByRealmId() throws Exception {
        RelayConfiguration configuration = configuration(emailTab(relay.port()));
        RealmRelay realmRelay = relays.forRealm("5f0c7e3a-realm", "acme", configuration);
        assertThat(realmRelay.spoolDirectory())
                .isEqualTo(keycloakHome.resolve("data/outbound-relay/spool/5f0c7e3a-realm"))
                .isDirectory();
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

        int before = relay.received().size();
        relays.deliver("r1", "acme", configuration(changed), message(configuration(changed), "after the change"));
        String mail = relay.awaitMessages(before + 1, Duration.ofSeconds(10)).get(before).content();
        assertThat(mail).contains("From: Acme SSO <sso@example.com>", "Subject: after the change");
        // A caller still holding the replaced relay reaches the realm's one queue: never a closed one.
        a.submit(message(first, "through the replaced relay"));
        assertThat(relay.awaitMessages(before + 2, Duration.ofSeconds(10)).get(before + 1).content())
                .contains("Subject: through the replaced relay");
    }

    @Test
    void mailQueuedForADownRelayIsKeptAcrossASettingsChangeAndGoesOutWithTheNewSettings() throws Exception {
        RelayConfiguration down = configuration(emailTab(downPort()));
        relays.deliver("r2", "beta", down, message(down, "queued while the relay was down"));
        await("the failed attempt", () -> relays.deliveryLog("r2").recent().stream()
                .anyMatch(e -> e.outcome() == DeliveryEvent.Outcome.FAILED));
        assertThat(relays.current("r2").orElseThrow().metrics().queueDepth()).isEqualTo(1);

        int before = relay.received().size();
        RelayConfiguration fixed = configuration(emailTab(relay.port()));
        RealmRelay rebuilt = relays.forRealm("r2", "beta", fixed);

        String mail = relay.awaitMessages(before + 1, Duration.ofSeconds(15)).get(before).content();
        assertThat(mail).contains("Subject: queued while the relay was down");
        await("the new queue is empty", () -> rebuilt.metrics().queueDepth() == 0);
    }

    @Test
    void mailStillQueuedWhenKeycloakStopsIsDeliveredAfterTheNextStart() throws Exception {
        int port = downPort();
        RelayConfiguration configuration = configuration(emailTab(port));
        relays.deliver("r3", "gamma", configuration, message(configuration, "across a restart"));
        relays.close();

        try (EmbeddedRelay back = EmbeddedRelay.builder(certificate.serverContext(), USER, PASSWORD).port(port).start()) {
            RealmRelays restarted = new RealmRelays();
            try {
                RealmRelay resumed = restarted.forRealm("r3", "gamma", configuration);
                assertThat(back.awaitMessages(1, Duration.ofSeconds(15)).get(0).content()).contains("Subject: across a restart");
                await("the spool is empty", () -> resumed.metrics().queueDepth() == 0);
            } finally {
                restarted.close();
            }
        }
    }

    @Test
    void aFailedAttemptIsRecordedWithItsCategoryMaskedAndTheMailStaysQueued() throws Exception {
        Map<String, String> wrong = emailTab(relay.port());
        wrong.put("password", "not-the-password");
        RelayConfiguration configuration = configuration(wrong);
        relays.deliver("r4", "delta", configuration, message(configuration, "never"));

        await("the failed attempt", () -> relays.deliveryLog("r4").recent().stream()
                .anyMatch(e -> e.outcome() == DeliveryEvent.Outcome.FAILED));
        DeliveryEvent failed = relays.deliveryLog("r4").recent().get(0);
        assertThat(failed.category()).isEqualTo(FailureCategory.AUTH_FAILED);
        assertThat(failed.recipients()).containsExactly("a***@example.com");
        QueueMetrics metrics = relays.current("r4").orElseThrow().metrics();
        assertThat(metrics.queueDepth()).as("waits for the credentials to be fixed").isEqualTo(1);
        assertThat(metrics.relays().get(0).status()).isEqualTo(QueueMetrics.Status.PAUSED_AUTH_FAILED);
    }

    @Test
    void withTheEmailTabsDebugSwitchAFailedDeliveryIsFollowedByAProbeOfTheRelay() throws Exception {
        Map<String, String> wrong = emailTab(relay.port());
        wrong.put("password", "not-the-password");
        wrong.put("debug", "true");
        RelayConfiguration configuration = configuration(wrong);
        int before = relay.authFailures();
        relays.deliver("r11", "lambda", configuration, message(configuration, "debug me"));
        // The queue's attempt, then the probe (whose redacted transcript goes to Keycloak's log) on another thread.
        await("the attempt and the probe", () -> relay.authFailures() >= before + 2);
    }

    @Test
    void theRealmsRateLimitHoldsMailInTheQueue() throws Exception {
        RelayConfiguration limited = configuration(emailTab(relay.port()), new RealmRelayOptions(5, null, null, null, null));
        int before = relay.received().size();
        for (int i = 1; i <= 4; i++) {
            relays.deliver("r5", "epsilon", limited, message(limited, "limited " + i));
        }
        relay.awaitMessages(before + 1, Duration.ofSeconds(10));
        RealmRelay limitedRelay = relays.current("r5").orElseThrow();
        // 5 a minute is one mail every 12 s after a burst of one: the other three wait in the spool.
        await("the first mail is done", () -> limitedRelay.metrics().queueDepth() == 3);
        assertThat(relay.received()).hasSize(before + 1);
        assertThat(limitedRelay.metrics().relays().get(0).throttle().perMinute()).isEqualTo(5);
    }

    @Test
    void aFallbackRelayTheServerTrustsWithTheCredentialsTakesTheMailWhileTheEmailTabsRelayIsDown() throws Exception {
        server = ServerOptions.parse(Map.of("trust-bundle", bundle.toString(), "credential-hosts", "127.0.0.1")::get, keycloakHome);
        RelayConfiguration withFallback = configuration(emailTab(downPort()),
                new RealmRelayOptions(null, "127.0.0.1:" + relay.port(), null, null, null));
        assertThat(withFallback.relays()).extracting(s -> s.port()).hasSize(2).element(1).isEqualTo(relay.port());
        int before = relay.received().size();
        relays.deliver("r6", "zeta", withFallback, message(withFallback, "through the fallback"));

        assertThat(relay.awaitMessages(before + 1, Duration.ofSeconds(15)).get(before).content())
                .contains("Subject: through the fallback");
    }

    @Test
    void aRecipientTheRelayRefusesBecomesADeadLetterThatCanBeRetriedAndPurged() throws Exception {
        try (EmbeddedRelay refusing = EmbeddedRelay.builder(certificate.serverContext(), USER, PASSWORD)
                .refuseRecipients(recipient -> true).start()) {
            RelayConfiguration configuration = configuration(emailTab(refusing.port()));
            relays.deliver("r7", "eta", configuration, message(configuration, "to nobody"));
            RealmRelay realmRelay = relays.current("r7").orElseThrow();
            await("a dead letter", () -> realmRelay.metrics().deadLetters() == 1);

            DeadLetter letter = realmRelay.deadLetters(10).get(0);
            assertThat(letter.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(letter.reason()).isEqualTo(DeadLetter.Reason.REJECTED);
            assertThat(letter.recipients()).containsExactly("a***@example.com");
            assertThat(letter.reply()).contains("550");
            assertThat(letter.remedy()).isNotBlank();

            assertThat(realmRelay.retryDeadLetter(letter.id())).isTrue();
            refusing.awaitRefusals(2, Duration.ofSeconds(15));
            await("a dead letter again", () -> realmRelay.metrics().deadLetters() == 1 && realmRelay.metrics().queueDepth() == 0);
            assertThat(realmRelay.purgeDeadLetters()).isEqualTo(1);
            assertThat(realmRelay.deadLetters(10)).isEmpty();
            assertThat(relays.deliveryLog("r7").recent()).extracting(DeliveryEvent::outcome)
                    .contains(DeliveryEvent.Outcome.DEAD_LETTERED, DeliveryEvent.Outcome.REQUEUED, DeliveryEvent.Outcome.PURGED);
            relays.close(); // before the relay stops
        }
    }

    @Test
    void aDeletedRealmsSpoolIsDeletedWithIt() throws Exception {
        RelayConfiguration down = configuration(emailTab(downPort()));
        relays.deliver("r8", "theta", down, message(down, "for a realm about to go"));
        Path spool = relays.current("r8").orElseThrow().spoolDirectory();

        relays.remove("r8", "theta", spool);

        assertThat(spool).doesNotExist();
        assertThat(relays.current("r8")).isEmpty();
    }

    @Test
    void aMailOverTheSizeCapIsRefusedNamingTheProviderOptionAndTheRealmsOtherMailGoesOut() throws Exception {
        server = ServerOptions.parse(Map.of("trust-bundle", bundle.toString(), "max-message-size-mb", "1")::get, keycloakHome);
        RelayConfiguration configuration = configuration(emailTab(relay.port()));
        OutboundMessage large = OutboundMessage.builder().from(configuration.settings().from()).to("alice@example.com")
                .subject("large").html("<p>" + "x".repeat(1 << 20) + "</p>").build();
        assertThatThrownBy(() -> relays.deliver("r12", "mu", configuration, large))
                .isInstanceOf(MailNotQueuedException.class)
                .hasMessageContaining("--spi-email-sender--relay--max-message-size-mb: the message is 1.0 MiB")
                .hasMessageContaining("above the limit of 1.0 MiB")
                .hasMessageContaining("raise --spi-email-sender--relay--max-message-size-mb");
        int before = relay.received().size();
        relays.deliver("r12", "mu", configuration, message(configuration, "small enough"));
        assertThat(relay.awaitMessages(before + 1, Duration.ofSeconds(15)).get(before).content()).contains("Subject: small enough");
        assertThat(relays.forRealm("r12", "mu", configuration).metrics().deadLetters()).isZero();
    }

    @Test
    void afterShutdownMailIsRefusedWithAReasonInsteadOfDropped() {
        RelayConfiguration configuration = configuration(emailTab(relay.port()));
        relays.close();
        assertThatThrownBy(() -> relays.deliver("r9", "iota", configuration, message(configuration, "too late")))
                .isInstanceOf(MailNotQueuedException.class).hasMessageContaining("shutting down");
    }

    @Test
    void sendNowWithProposedSettingsWaitsForTheRelayAndLeavesTheRealmsRelayAlone() throws Exception {
        RealmRelay live = relays.forRealm("r10", "kappa", configuration(emailTab(relay.port())));
        Map<String, String> proposed = emailTab(relay.port());
        proposed.put("password", "wrong");
        RelayConfiguration proposedConfiguration = configuration(proposed);
        assertThatThrownBy(() -> relays.sendNow("r10", proposedConfiguration, message(proposedConfiguration, "test")))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).category()).isEqualTo(FailureCategory.AUTH_FAILED));
        assertThat(relays.current("r10")).containsSame(live);
        RelayConfiguration saved = configuration(emailTab(relay.port()));
        assertThat(relays.sendNow("r10", saved, message(saved, "test")).finalReply().code()).isEqualTo(250);
    }

    @Test
    void realmIdsBecomeDirectoryNamesThatStayInsideTheSpoolAndMapBack() {
        for (String id : List.of("5f0c7e3a-9d1e-4c1b-8a52-0d6f2b7c1e90", "master", "../etc", "a/b", "ünï", ".", "")) {
            String name = RealmSpools.encode(id);
            assertThat(name).doesNotContain("/").isNotIn(".", "..");
            assertThat(RealmSpools.decode(name)).isEqualTo(id);
        }
        assertThat(RealmSpools.decode("not a realm")).isNull();
        assertThat(RealmSpools.decode("%zz")).isNull();
    }
}
