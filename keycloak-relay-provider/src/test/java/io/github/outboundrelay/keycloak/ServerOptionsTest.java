package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerOptionsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreSaneAndTheSpoolIsUnderKeycloaksDataDirectory() {
        ServerOptions options = ServerOptions.parse(key -> null, Path.of("/opt/keycloak"));
        assertThat(options.spoolDir()).isEqualTo(Path.of("/opt/keycloak/data/outbound-relay/spool"));
        assertThat(options.rateLimitPerMinute()).isEqualTo(60);
        assertThat(options.retryLifetime().toHours()).isEqualTo(24);
        assertThat(options.trust()).isEqualTo(TrustSettings.jvmDefault());
        assertThat(options.maskRecipients()).isTrue();
        assertThat(options.allowCredentialsOverPlaintext()).isFalse();
        assertThat(options.fallbackRelays()).isEmpty();
        assertThat(options.maxMessageSizeMb()).isEqualTo(25);
        assertThat(options.maxMessageBytes()).isEqualTo(25L << 20);
    }

    @Test
    void readsEveryOptionByItsDashedName() throws Exception {
        Path bundle = dir.resolve("ca.pem");
        Files.writeString(bundle, SelfSignedCertificate.forLoopback().pem());
        String pin = "sha256/" + "B".repeat(43) + "=";
        ServerOptions options = ServerOptions.parse(Map.ofEntries(
                Map.entry("spool-dir", "/var/spool/kc"),
                Map.entry("rate-limit-per-minute", "30"),
                Map.entry("retry-lifetime-hours", "48"),
                Map.entry("fallback-relays", "a.example.com:587, b.example.com:465"),
                Map.entry("trust-bundle", bundle.toString()),
                Map.entry("certificate-pins", pin),
                Map.entry("mask-recipients", "false"),
                Map.entry("allow-credentials-over-plaintext", "true"),
                Map.entry("helo-name", "sso.example.com"),
                Map.entry("max-connections", "3"),
                Map.entry("max-message-size-mb", "40"),
                Map.entry("credential-hosts", "smtp2.example.com, relay.example.net:587, [2001:db8::25]"))::get, Path.of("/opt/keycloak"));
        assertThat(options.spoolDir()).isEqualTo(Path.of("/var/spool/kc"));
        assertThat(options.rateLimitPerMinute()).isEqualTo(30);
        assertThat(options.retryLifetime().toHours()).isEqualTo(48);
        assertThat(options.fallbackRelays()).containsExactly("a.example.com:587", "b.example.com:465");
        assertThat(options.trust().source()).isEqualTo(TrustSettings.Source.PEM);
        assertThat(options.trust().pins()).containsExactly(pin);
        assertThat(options.maskRecipients()).isFalse();
        assertThat(options.allowCredentialsOverPlaintext()).isTrue();
        assertThat(options.heloName()).isEqualTo("sso.example.com");
        assertThat(options.maxConnections()).isEqualTo(3);
        assertThat(options.maxMessageBytes()).isEqualTo(40L << 20);
        assertThat(options.credentialHosts().hosts()).containsExactly(new HostAndPort("smtp2.example.com", 0),
                new HostAndPort("relay.example.net", 587), new HostAndPort("2001:db8::25", 0));
    }

    @Test
    void credentialHostsTrustAHostOnAnyPortOrOnTheListedOneAsWrittenWithoutDns() {
        ServerOptions options = ServerOptions.parse(Map.of("credential-hosts", "SMTP2.example.com, relay.example.net:587",
                "fallback-relays", "backup.example.com:465")::get, Path.of("/opt/keycloak"));
        assertThat(options.trustsWithCredentials("smtp2.example.com", 2525)).isTrue();
        assertThat(options.trustsWithCredentials("relay.example.net", 587)).isTrue();
        assertThat(options.trustsWithCredentials("relay.example.net", 465)).isFalse();
        assertThat(options.trustsWithCredentials("backup.example.com", 465)).as("the server's own fallback").isTrue();
        assertThat(options.trustsWithCredentials("backup.example.com", 587)).isFalse();
        assertThat(options.trustsWithCredentials("smtp2.example.com.attacker.net", 587)).isFalse();
        assertThat(ServerOptions.parse(key -> null, Path.of("/opt/keycloak")).trustsWithCredentials("localhost", 25))
                .as("nothing by default").isFalse();
    }

    @Test
    void aBadOptionStopsStartupNamingTheOptionAsTyped() {
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("rate-limit-per-minute", "lots")::get, dir))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("--spi-email-sender--relay--rate-limit-per-minute: is 'lots'");
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("trust-bundle", dir.resolve("missing.pem").toString())::get, dir))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("--spi-email-sender--relay--trust-bundle: cannot read");
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("mask-recipients", "yes please")::get, dir))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("credential-hosts", "smtp://relay.example.com")::get, dir))
                .hasMessageContaining("--spi-email-sender--relay--credential-hosts").hasMessageContaining("neither a host nor host:port");
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("credential-hosts", "fe80::1")::get, dir))
                .hasMessageContaining("IPv6 address in brackets");
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("fallback-relays", "nohost")::get, dir))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> ServerOptions.parse(Map.of("certificate-pins", "sha256/short=")::get, dir))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("--spi-email-sender--relay--certificate-pins");
        for (String size : new String[] {"0", "151", "25MB"}) {
            assertThatThrownBy(() -> ServerOptions.parse(Map.of("max-message-size-mb", size)::get, dir))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("--spi-email-sender--relay--max-message-size-mb: is '" + size + "'")
                    .hasMessageContaining("from 1 to 150 (default 25)");
        }
    }
}
