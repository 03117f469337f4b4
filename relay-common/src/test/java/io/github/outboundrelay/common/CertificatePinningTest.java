package io.github.outboundrelay.common;

import io.github.outboundrelay.common.tls.CertificatePins;

import static io.github.outboundrelay.common.FailureCategoriesTest.assertBoth;
import static io.github.outboundrelay.common.FailureCategoriesTest.message;
import static io.github.outboundrelay.common.FailureCategoriesTest.startTls;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins are checked against the path that was verified, leaf to trust anchor, over real TLS connections: never
 * against whatever else the server chose to send.
 */
class CertificatePinningTest {
    static final List<String> LOOPBACK = List.of("IP:127.0.0.1", "DNS:localhost");

    /** The relay the administrator pinned: its own self-signed key. */
    final SelfSignedCertificate realRelay = SelfSignedCertificate.forLoopback();
    /** A CA this machine trusts but whose certificates the administrator did not pin (a TLS-inspecting proxy's). */
    final SelfSignedCertificate rogueCa = SelfSignedCertificate.authority("Corporate inspection CA");
    final SelfSignedCertificate attackerLeaf = rogueCa.issue(LOOPBACK);

    static String pin(SelfSignedCertificate certificate) {
        return CertificatePins.pinOf(certificate.certificate());
    }

    /** The trust an administrator has: the inspection CA (installed company-wide) and the relay's own certificate. */
    TrustSettings trustBoth() {
        return TrustSettings.pem(rogueCa.pem() + realRelay.pem());
    }

    ScriptedSmtpPeer attackerAppendingThePinnedCertificate() throws IOException {
        return ScriptedSmtpPeer.builder().capability("AUTH PLAIN LOGIN")
                .startTls(attackerLeaf.serverContext(rogueCa.certificate(), realRelay.certificate())).start();
    }

    @Test
    void thePinnedCertificateAppendedToAnAttackersChainIsRefusedWhenSendingAndProbing() throws IOException {
        try (ScriptedSmtpPeer attacker = attackerAppendingThePinnedCertificate()) {
            RelaySettings settings = startTls(attacker.port()).trust(trustBoth().withPins(List.of(pin(realRelay)))).build();
            assertBoth(settings, FailureCategory.CERTIFICATE_PIN_MISMATCH, "update the pin");
            assertThat(attacker.receivedCommand("AUTH")).as("no credential reaches the attacker").isFalse();
            assertThat(attacker.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void thePinnedCertificateAppendedToAnAttackersChainIsRefusedByTheQueue(@TempDir Path spool) throws Exception {
        try (ScriptedSmtpPeer attacker = attackerAppendingThePinnedCertificate()) {
            RelaySettings settings = startTls(attacker.port()).trust(trustBoth().withPins(List.of(pin(realRelay)))).build();
            try (MailQueue queue = MailQueue.builder().relay(settings).spoolDirectory(spool).manualDispatch().build()) {
                queue.submit(message());
                queue.runUntilQuiet(Duration.ofSeconds(20));
                QueueMetrics metrics = queue.metrics();
                assertThat(metrics.sent()).isZero();
                assertThat(metrics.queueDepth()).as("the mail waits for a relay that passes").isEqualTo(1);
                assertThat(metrics.relays()).singleElement()
                        .satisfies(r -> assertThat(r.lastFailure()).isEqualTo(FailureCategory.CERTIFICATE_PIN_MISMATCH));
            }
            assertThat(attacker.receivedCommand("AUTH")).isFalse();
            assertThat(attacker.receivedCommand("MAIL")).isFalse();
        }
    }

    @Test
    void theSameChainWithoutAPinIsTrustedSoThePinIsWhatRefusedIt() throws IOException {
        try (ScriptedSmtpPeer attacker = attackerAppendingThePinnedCertificate();
             RelayClient client = RelayClient.create(startTls(attacker.port()).trust(trustBoth()).build())) {
            assertThat(client.send(message()).accepted()).containsExactly("alice@example.com");
        } catch (DeliveryException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void aPinOfTheTrustAnchorMatchesEvenWhenTheRelayDoesNotSendTheAnchor() throws Exception {
        SelfSignedCertificate privateCa = SelfSignedCertificate.authority("Relay CA");
        SelfSignedCertificate relayLeaf = privateCa.issue(LOOPBACK);
        try (ScriptedSmtpPeer relay = ScriptedSmtpPeer.builder().capability("AUTH PLAIN").startTls(relayLeaf.serverContext()).start()) {
            TrustSettings trust = TrustSettings.pem(privateCa.pem());
            for (String pin : List.of(pin(privateCa), pin(relayLeaf))) {
                try (RelayClient client = RelayClient.create(startTls(relay.port()).trust(trust.withPins(List.of(pin))).build())) {
                    assertThat(client.send(message()).accepted()).as(pin).containsExactly("alice@example.com");
                }
                assertThat(RelayClient.probe(startTls(relay.port()).trust(trust.withPins(List.of(pin))).build(), null).passed()).isTrue();
            }
        }
    }

    @Test
    void aPinOfAnIntermediateTheRelaySendsMatches() throws Exception {
        SelfSignedCertificate root = SelfSignedCertificate.authority("Relay root CA");
        SelfSignedCertificate intermediate = root.issueAuthority("Relay issuing CA");
        SelfSignedCertificate relayLeaf = intermediate.issue(LOOPBACK);
        try (ScriptedSmtpPeer relay = ScriptedSmtpPeer.builder().capability("AUTH PLAIN")
                .startTls(relayLeaf.serverContext(intermediate.certificate())).start();
             RelayClient client = RelayClient.create(startTls(relay.port())
                     .trust(TrustSettings.pem(root.pem()).withPins(List.of(pin(intermediate)))).build())) {
            assertThat(client.send(message()).accepted()).containsExactly("alice@example.com");
        }
    }

    @Test
    void aCertificateMatchingOnlyAFurtherPinSetIsRefusedWhenTheFirstSetIsNotMatched() throws Exception {
        // The server's administrator pinned the real relay; a realm administrator adds the key of a CA they hold.
        TrustSettings trust = trustBoth().withPins(List.of(pin(realRelay))).andPins(List.of(pin(rogueCa)));
        try (ScriptedSmtpPeer attacker = ScriptedSmtpPeer.builder().capability("AUTH PLAIN LOGIN")
                .startTls(attackerLeaf.serverContext(rogueCa.certificate())).start()) {
            assertBoth(startTls(attacker.port()).trust(trust).build(), FailureCategory.CERTIFICATE_PIN_MISMATCH, "update the pin");
            assertThat(attacker.receivedCommand("AUTH")).isFalse();
            // Merged into one set, as Keycloak once did with server and realm pins, the realm's pin widened trust.
            TrustSettings merged = trustBoth().withPins(List.of(pin(realRelay), pin(rogueCa)));
            try (RelayClient client = RelayClient.create(startTls(attacker.port()).trust(merged).build())) {
                assertThat(client.send(message()).accepted()).containsExactly("alice@example.com");
            }
            assertThat(attacker.receivedCommand("AUTH")).isTrue();
        }
    }

    @Test
    void aRelayMatchingEveryPinSetIsAccepted() throws Exception {
        SelfSignedCertificate relayCa = SelfSignedCertificate.authority("Relay CA");
        SelfSignedCertificate relayLeaf = relayCa.issue(LOOPBACK);
        TrustSettings trust = TrustSettings.pem(relayCa.pem()).withPins(List.of(pin(relayCa))).andPins(List.of(pin(relayLeaf)));
        try (ScriptedSmtpPeer relay = ScriptedSmtpPeer.builder().capability("AUTH PLAIN")
                .startTls(relayLeaf.serverContext(relayCa.certificate())).start();
             RelayClient client = RelayClient.create(startTls(relay.port()).trust(trust).build())) {
            assertThat(client.send(message()).accepted()).containsExactly("alice@example.com");
        }
    }

    @Test
    void pinSetsOnlyEverNarrow() {
        String a = pin(realRelay);
        String b = pin(rogueCa);
        TrustSettings trust = TrustSettings.jvmDefault().withPins(List.of(a));
        assertThat(trust.andPins(List.of()).pinSets()).as("an empty set adds nothing").containsExactly(List.of(a));
        assertThat(trust.andPins(List.of(b)).pinSets()).containsExactly(List.of(a), List.of(b));
        assertThat(trust.andPins(List.of(b)).withPins(List.of(b)).pinSets()).as("withPins replaces").containsExactly(List.of(b));
        assertThat(trust.andPins(List.of(a, b)).pins()).containsExactly(a, b);
        assertThat(TrustSettings.jvmDefault().withPins(List.of()).pinSets()).isEmpty();
    }
}
