package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class RealmRelayOptionsTest {
    static final ServerOptions SERVER = ServerOptions.parse(
            Map.of("fallback-relays", "backup.example.com:587")::get, Path.of("/opt/keycloak"));

    @Test
    void anUnsavedTabUsesTheServerDefaults() {
        RealmRelayOptions options = RealmRelayOptions.parse(null);
        assertThat(options.effectiveRateLimitPerMinute(SERVER)).isEqualTo(ServerOptions.DEFAULT_RATE_LIMIT_PER_MINUTE);
        assertThat(options.effectiveRetryLifetime(SERVER)).isEqualTo(Duration.ofHours(24));
        assertThat(options.effectiveMaskRecipients(SERVER)).isTrue();
        assertThat(options.effectiveFallbackRelays(SERVER, true)).containsExactly("backup.example.com:587");
    }

    @Test
    void readsWhatTheConsoleSavesIgnoringItsRouteKeysAndBlanks() {
        RealmRelayOptions options = RealmRelayOptions.parse(Map.of(
                "rateLimitPerMinute", List.of("30"),
                "fallbackRelay", List.of("smtp2.example.com:2587"),
                "certificatePin", List.of(""),
                "retryLifetimeHours", List.of("6"),
                "maskRecipients", List.of("false"),
                "realm", List.of("acme"),
                "tab", List.of("outbound-relay")));
        assertThat(options).isEqualTo(new RealmRelayOptions(30, "smtp2.example.com:2587", null, 6, false));
        assertThat(options.effectiveFallbackRelays(SERVER, false)).containsExactly("smtp2.example.com:2587", "backup.example.com:587");
        assertThat(options.effectiveRetryLifetime(SERVER)).isEqualTo(Duration.ofHours(6));
    }

    @Test
    void badValuesAreRefusedNamingTheTabField() {
        assertThat(refusal(Map.of("rateLimitPerMinute", List.of("fast"))).field()).isEqualTo("rateLimitPerMinute");
        assertThat(refusal(Map.of("rateLimitPerMinute", List.of("-1"))).field()).isEqualTo("rateLimitPerMinute");
        assertThat(refusal(Map.of("retryLifetimeHours", List.of("0"))).field()).isEqualTo("retryLifetimeHours");
        assertThat(refusal(Map.of("fallbackRelay", List.of("smtp2.example.com"))).field()).isEqualTo("fallbackRelay");
        assertThat(refusal(Map.of("fallbackRelay", List.of("smtp://x:25"))).field()).isEqualTo("fallbackRelay");
        InvalidInputException pin = refusal(Map.of("certificatePin", List.of("sha1/abc")));
        assertThat(pin.field()).isEqualTo("certificatePin");
        assertThat(pin.fix()).contains("sha256/");
    }

    @Test
    void aRealmPinIsRequiredBesidesTheServersPinsNeverInsteadOfThem() {
        String serverPin = "sha256/" + "S".repeat(43) + "=";
        String otherServerPin = "sha256/" + "T".repeat(43) + "=";
        String realmPin = "sha256/" + "R".repeat(43) + "=";
        ServerOptions pinned = ServerOptions.parse(Map.of("certificate-pins", serverPin + "," + otherServerPin)::get,
                Path.of("/opt/keycloak"));
        RealmRelayOptions realm = new RealmRelayOptions(null, null, realmPin, null, null);

        assertThat(realm.effectiveTrust(pinned).pinSets()).as("one of the server's pins and the realm's pin")
                .containsExactly(List.of(serverPin, otherServerPin), List.of(realmPin));
        assertThat(RealmRelayOptions.DEFAULTS.effectiveTrust(pinned).pinSets()).containsExactly(List.of(serverPin, otherServerPin));
        assertThat(realm.effectiveTrust(SERVER).pinSets()).as("without server pins the realm's still narrows")
                .containsExactly(List.of(realmPin));
        assertThat(realm.effectiveTrust(pinned).source()).isEqualTo(pinned.trust().source());
    }

    @Test
    void theRealmPinReachesTheSettingsAsAFurtherPinSet() {
        String serverPin = "sha256/" + "S".repeat(43) + "=";
        String realmPin = "sha256/" + "R".repeat(43) + "=";
        ServerOptions pinned = ServerOptions.parse(Map.of("certificate-pins", serverPin)::get, Path.of("/opt/keycloak"));
        RelayConfiguration configuration = SmtpServerMapping.read(SmtpServerMappingTest.emailTab(),
                UnaryOperator.identity(), pinned, new RealmRelayOptions(null, null, realmPin, null, null));
        assertThat(configuration.settings().trust().pinSets()).containsExactly(List.of(serverPin), List.of(realmPin));
        assertThat(configuration.relays()).as("the fallback relays are held to both sets too")
                .allSatisfy(relay -> assertThat(relay.trust().pinSets()).containsExactly(List.of(serverPin), List.of(realmPin)));
    }

    @Test
    void anIpv6FallbackNeedsBrackets() {
        assertThat(new RealmRelayOptions(null, "[::1]:25", null, null, null).fallbackRelay()).isEqualTo("[::1]:25");
        assertThatThrownBy(() -> new RealmRelayOptions(null, "::1:25", null, null, null)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aRealmFallbackRelayGetsTheCredentialsOnlyOnAHostTheServerTrustsWithThem() {
        ServerOptions server = ServerOptions.parse(Map.of("fallback-relays", "backup.example.com:587",
                "credential-hosts", "smtp2.example.com")::get, Path.of("/opt/keycloak"));
        RealmRelayOptions attacker = new RealmRelayOptions(null, "attacker.example.net:465", null, null, null);

        InvalidInputException refused = attacker.fallbackRefusal(server, true).orElseThrow();
        assertThat(refused.field()).isEqualTo("fallbackRelay");
        assertThat(refused.fix()).contains("--spi-email-sender--relay--credential-hosts");
        assertThat(attacker.effectiveFallbackRelays(server, true)).containsExactly("backup.example.com:587");
        // Without credentials there is nothing to steal: the realm's relay to choose, as its Email tab's host is.
        assertThat(attacker.fallbackRefusal(server, false)).isEmpty();
        assertThat(attacker.effectiveFallbackRelays(server, false)).containsExactly("attacker.example.net:465", "backup.example.com:587");

        RealmRelayOptions listed = new RealmRelayOptions(null, "SMTP2.example.com:2587", null, null, null);
        assertThat(listed.fallbackRefusal(server, true)).isEmpty();
        assertThat(listed.effectiveFallbackRelays(server, true)).containsExactly("SMTP2.example.com:2587", "backup.example.com:587");
        RealmRelayOptions serversOwn = new RealmRelayOptions(null, "backup.example.com:587", null, null, null);
        assertThat(serversOwn.fallbackRefusal(server, true)).isEmpty();
    }

    @Test
    void theQueueOfAnAuthenticatedRealmHasNoRelayForARefusedFallback() {
        Map<String, String> smtp = SmtpServerMappingTest.emailTab();
        RelayConfiguration configuration = SmtpServerMapping.read(smtp, java.util.function.UnaryOperator.identity(), SERVER,
                new RealmRelayOptions(null, "attacker.example.net:465", null, null, null));
        assertThat(configuration.relays()).extracting(r -> r.relayName())
                .containsExactly("smtp.example.com:587", "backup.example.com:587");
        assertThat(configuration.describe()).containsEntry("fallbackRelays", List.of("backup.example.com:587"))
                .hasEntrySatisfying("fallbackRelayNotUsed", why -> assertThat((String) why).contains("attacker.example.net:465"));
    }

    private static InvalidInputException refusal(Map<String, List<String>> config) {
        try {
            RealmRelayOptions.parse(config);
        } catch (InvalidInputException e) {
            return e;
        }
        throw new AssertionError("expected a refusal of " + config);
    }
}
