package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
