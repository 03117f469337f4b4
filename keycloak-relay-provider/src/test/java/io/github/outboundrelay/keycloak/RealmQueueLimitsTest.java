package io.github.outboundrelay.keycloak;

import static io.github.outboundrelay.keycloak.ActionLinksForTests.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A realm's queue against a real spool and a real STARTTLS relay that is down, then up: the cap on queued mail
 * refuses new mail and keeps what is queued; an expired link is dead-lettered, not sent; a newer reset mail replaces
 * the one still queued for the same address.
 */
class RealmQueueLimitsTest {
    static SelfSignedCertificate certificate;
    static Path bundle;

    @TempDir
    Path keycloakHome;
    final RealmRelays relays = new RealmRelays();

    @BeforeAll
    static void trust(@TempDir Path dir) throws Exception {
        certificate = SelfSignedCertificate.forLoopback();
        bundle = dir.resolve("relay-ca.pem");
        Files.writeString(bundle, certificate.pem());
    }

    @AfterEach
    void close() {
        relays.close();
    }

    RelayConfiguration configuration(int port, Map<String, String> options) {
        Map<String, String> all = new java.util.HashMap<>(options);
        all.put("trust-bundle", bundle.toString());
        ServerOptions server = ServerOptions.parse(all::get, keycloakHome);
        return SmtpServerMapping.read(RealmRelaysTest.emailTab(port), UnaryOperator.identity(), server, RealmRelayOptions.DEFAULTS);
    }

    EmbeddedRelay relayOn(int port) {
        return EmbeddedRelay.builder(certificate.serverContext(), RealmRelaysTest.USER, RealmRelaysTest.PASSWORD).port(port).start();
    }

    static Instant inMinutes(int minutes) {
        return Instant.now().plusSeconds(60L * minutes);
    }

    @Test
    void atTheCapNewMailIsRefusedNamingTheOptionAndTheQueuedMailIsKeptAndDelivered() throws Exception {
        int port = RealmRelaysTest.downPort();
        RelayConfiguration configuration = configuration(port, Map.of("max-queued-per-realm", "5"));
        for (int i = 1; i <= 5; i++) {
            relays.deliver("r1", "acme", configuration, mail("user" + i + "@example.com", "mail " + i, "execute-actions", inMinutes(60)));
        }

        assertThatThrownBy(() -> relays.deliver("r1", "acme", configuration,
                mail("user6@example.com", "mail 6", "execute-actions", inMinutes(60))))
                .isInstanceOf(MailNotQueuedException.class)
                .hasMessageContaining("realm acme: the mail was not queued")
                .hasMessageContaining("holds 5 mails, the most a realm may queue (--spi-email-sender--relay--max-queued-per-realm=5)")
                .hasMessageContaining("The mail already queued is kept and delivered");
        RealmRelay realm = relays.current("r1").orElseThrow();
        assertThat(realm.metrics().queueDepth()).isEqualTo(5);

        try (EmbeddedRelay back = relayOn(port)) {
            // The relay's cool-down after the failed first attempt (10 s) decides when its trial goes.
            assertThat(back.awaitMessages(5, Duration.ofSeconds(40))).extracting(EmbeddedRelay.ReceivedMail::content)
                    .anySatisfy(c -> assertThat(c).contains("Subject: mail 1"))
                    .noneSatisfy(c -> assertThat(c).contains("Subject: mail 6"));
            RealmRelaysTest.await("the queue drained", () -> realm.metrics().queueDepth() == 0);
            relays.deliver("r1", "acme", configuration, mail("user6@example.com", "mail 6", "execute-actions", inMinutes(60)));
            assertThat(back.awaitMessages(6, Duration.ofSeconds(15)).get(5).content()).contains("Subject: mail 6");
            relays.close(); // before the relay stops
        }
    }

    @Test
    void aResetMailWhoseLinkExpiredWhileTheRelayWasDownBecomesADeadLetterExpiredAndIsNotSent() throws Exception {
        int port = RealmRelaysTest.downPort();
        RelayConfiguration configuration = configuration(port, Map.of());
        Instant expires = Instant.now().plusSeconds(3);
        relays.deliver("r2", "beta", configuration, mail("bob@example.com", "Reset password", "reset-credentials", expires));
        relays.deliver("r2", "beta", configuration, mail("carol@example.com", "Still good", "reset-credentials", inMinutes(30)));
        RealmRelay realm = relays.current("r2").orElseThrow();
        RealmRelaysTest.await("the first attempt failed", () -> realm.metrics().failed() >= 1);

        try (EmbeddedRelay back = relayOn(port)) {
            RealmRelaysTest.await("the expired one is a dead letter", () -> realm.metrics().deadLetters() == 1);
            DeadLetter letter = realm.deadLetters(10).get(0);
            assertThat(letter.category()).isEqualTo(FailureCategory.EXPIRED);
            assertThat(letter.reason()).isEqualTo(DeadLetter.Reason.EXPIRED);
            assertThat(letter.subject()).isEqualTo("Reset password");
            assertThat(letter.remedy()).startsWith("its reset-credentials link expired at ").doesNotContain("key=");
            assertThat(back.awaitMessages(1, Duration.ofSeconds(30)).get(0).content()).contains("Subject: Still good");
            RealmRelaysTest.await("the queue drained", () -> realm.metrics().queueDepth() == 0);
            assertThat(back.received()).as("the dead link never reached the relay").hasSize(1);
            relays.close();
        }
    }

    @Test
    void aNewerResetMailToTheSameAddressReplacesTheOneStillQueued() throws Exception {
        int port = RealmRelaysTest.downPort();
        RelayConfiguration configuration = configuration(port, Map.of());
        for (int i = 1; i <= 20; i++) {
            relays.deliver("r3", "gamma", configuration, mail("bob@example.com", "Reset " + i, "reset-credentials", inMinutes(5)));
        }
        relays.deliver("r3", "gamma", configuration, mail("carol@example.com", "Reset for Carol", "reset-credentials", inMinutes(5)));
        RealmRelay realm = relays.current("r3").orElseThrow();

        try (EmbeddedRelay back = relayOn(port)) {
            RealmRelaysTest.await("the queue drained", () -> realm.metrics().queueDepth() == 0);
            assertThat(back.received()).extracting(EmbeddedRelay.ReceivedMail::content)
                    .hasSize(2)
                    .anySatisfy(c -> assertThat(c).contains("Subject: Reset 20"))
                    .anySatisfy(c -> assertThat(c).contains("Subject: Reset for Carol"));
            assertThat(relays.deliveryLog("r3").recent()).filteredOn(e -> e.outcome() == DeliveryEvent.Outcome.SUPERSEDED)
                    .hasSize(19)
                    .allSatisfy(e -> assertThat(e.recipients()).containsExactly("b***@example.com"));
            assertThat(realm.metrics().deadLetters()).isZero();
            relays.close();
        }
    }
}
