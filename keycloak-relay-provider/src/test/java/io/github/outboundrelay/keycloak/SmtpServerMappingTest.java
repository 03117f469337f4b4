package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.TlsMode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SmtpServerMappingTest {
    static final ServerOptions SERVER = ServerOptions.parse(key -> null, Path.of("/opt/keycloak"));

    /** The map the admin console's Email tab writes for an authenticated STARTTLS relay. */
    static Map<String, String> emailTab() {
        Map<String, String> smtp = new HashMap<>();
        smtp.put("host", "smtp.example.com");
        smtp.put("port", "587");
        smtp.put("starttls", "true");
        smtp.put("ssl", "false");
        smtp.put("auth", "true");
        smtp.put("user", "keycloak@example.com");
        smtp.put("password", "pw-123");
        smtp.put("from", "noreply@example.com");
        smtp.put("fromDisplayName", "Example SSO");
        return smtp;
    }

    static RelaySettings read(Map<String, String> smtp) {
        return SmtpServerMapping.read(smtp, UnaryOperator.identity(), SERVER, RealmRelayOptions.DEFAULTS).settings();
    }

    static InvalidInputException readFails(Map<String, String> smtp) {
        try {
            read(smtp);
        } catch (InvalidInputException e) {
            return e;
        }
        throw new AssertionError("expected the Email tab to be refused: " + smtp);
    }

    @Test
    void starttlsInTheEmailTabMeansStarttlsRequired() {
        RelaySettings settings = read(emailTab());
        assertThat(settings.tlsMode()).isEqualTo(TlsMode.STARTTLS);
        assertThat(settings.relayName()).isEqualTo("smtp.example.com:587");
        assertThat(settings.authentication()).isInstanceOf(Authentication.Password.class);
        assertThat(((Authentication.Password) settings.authentication()).username()).isEqualTo("keycloak@example.com");
        assertThat(((Authentication.Password) settings.authentication()).password().reveal()).isEqualTo("pw-123");
        assertThat(settings.from().address()).isEqualTo("noreply@example.com");
        assertThat(settings.from().displayName()).isEqualTo("Example SSO");
    }

    @Test
    void sslIsImplicitTlsAndWinsOverStarttlsAsInKeycloaksOwnSender() {
        Map<String, String> smtp = emailTab();
        smtp.put("ssl", "true");
        smtp.remove("port");
        RelaySettings settings = read(smtp);
        assertThat(settings.tlsMode()).isEqualTo(TlsMode.IMPLICIT_TLS);
        assertThat(settings.port()).isEqualTo(465);
    }

    @Test
    void withoutAPortTheTlsModesUsualPortIsUsed() {
        Map<String, String> smtp = emailTab();
        smtp.remove("port");
        assertThat(read(smtp).port()).isEqualTo(587);
    }

    @Test
    void authOverPlaintextIsRefusedNamingTheStarttlsSwitch() {
        Map<String, String> smtp = emailTab();
        smtp.put("starttls", "false");
        InvalidInputException e = readFails(smtp);
        assertThat(e.field()).isEqualTo("starttls");
        assertThat(e.fix()).contains("Enable StartTLS", "allow-credentials-over-plaintext");
    }

    @Test
    void plaintextWithoutAuthIsAllowedForALocalRelay() {
        Map<String, String> smtp = emailTab();
        smtp.put("starttls", "false");
        smtp.put("auth", "false");
        smtp.put("port", "25");
        RelaySettings settings = read(smtp);
        assertThat(settings.tlsMode()).isEqualTo(TlsMode.NONE);
        assertThat(settings.authentication()).isEqualTo(Authentication.NONE);
    }

    @Test
    void tokenAuthMapsEveryAuthTokenKey() {
        Map<String, String> smtp = emailTab();
        smtp.put("authType", "token");
        smtp.put("authTokenUrl", "https://login.example.com/oauth2/token");
        smtp.put("authTokenClientId", "client-1");
        smtp.put("authTokenClientSecret", "${vault.smtp-secret}");
        smtp.put("authTokenScope", "https://outlook.office365.com/.default");
        RelaySettings settings = SmtpServerMapping.read(smtp,
                raw -> raw.equals("${vault.smtp-secret}") ? "from-the-vault" : raw, SERVER, RealmRelayOptions.DEFAULTS).settings();
        Authentication.OAuth2 oauth = (Authentication.OAuth2) settings.authentication();
        assertThat(oauth.username()).isEqualTo("keycloak@example.com");
        assertThat(oauth.tokenUrl()).isEqualTo(URI.create("https://login.example.com/oauth2/token"));
        assertThat(oauth.clientId()).isEqualTo("client-1");
        assertThat(oauth.clientSecret().reveal()).isEqualTo("from-the-vault");
        assertThat(oauth.scope()).isEqualTo("https://outlook.office365.com/.default");
    }

    @Test
    void aVaultReferenceInThePasswordIsResolved() {
        Map<String, String> smtp = emailTab();
        smtp.put("password", "${vault.smtp}");
        RelaySettings settings = SmtpServerMapping.read(smtp, raw -> "resolved", SERVER, RealmRelayOptions.DEFAULTS).settings();
        assertThat(((Authentication.Password) settings.authentication()).password().reveal()).isEqualTo("resolved");
    }

    @Test
    void anUnknownAuthTypeIsRefused() {
        Map<String, String> smtp = emailTab();
        smtp.put("authType", "kerberos");
        assertThat(readFails(smtp).field()).isEqualTo("authType");
    }

    @Test
    void aMissingPasswordNamesThePasswordField() {
        Map<String, String> smtp = emailTab();
        smtp.remove("password");
        assertThat(readFails(smtp).field()).isEqualTo("password");
    }

    @Test
    void aMissingUserNamesTheUserField() {
        Map<String, String> smtp = emailTab();
        smtp.put("user", " ");
        assertThat(readFails(smtp).field()).isEqualTo("user");
    }

    @Test
    void replyToEnvelopeFromAndDisplayNamesAreKept() {
        Map<String, String> smtp = emailTab();
        smtp.put("replyTo", "help@example.com");
        smtp.put("replyToDisplayName", "Help desk");
        smtp.put("envelopeFrom", "bounces@example.com");
        RelaySettings settings = read(smtp);
        assertThat(settings.replyTo().address()).isEqualTo("help@example.com");
        assertThat(settings.replyTo().displayName()).isEqualTo("Help desk");
        assertThat(settings.envelopeFrom().address()).isEqualTo("bounces@example.com");
    }

    @Test
    void aMalformedFromNamesTheFromField() {
        Map<String, String> smtp = emailTab();
        smtp.put("from", "not an address");
        InvalidInputException e = readFails(smtp);
        assertThat(e.field()).isEqualTo("from");
        assertThat(e.getMessage()).startsWith("from: ");
    }

    @Test
    void aMissingFromIsRefused() {
        Map<String, String> smtp = emailTab();
        smtp.remove("from");
        assertThat(readFails(smtp).field()).isEqualTo("from");
    }

    @Test
    void aHeaderInjectionInTheDisplayNameIsRefused() {
        Map<String, String> smtp = emailTab();
        smtp.put("fromDisplayName", "SSO\r\nBcc: victim@example.org");
        assertThat(readFails(smtp).field()).isEqualTo("from");
    }

    @Test
    void timeoutsAreMillisecondsWithKeycloaksTenSecondDefault() {
        Map<String, String> smtp = emailTab();
        smtp.put("connectionTimeout", "2500");
        smtp.put("timeout", "7000");
        RelaySettings settings = read(smtp);
        assertThat(settings.timeouts().connect()).isEqualTo(Duration.ofMillis(2500));
        assertThat(settings.timeouts().read()).isEqualTo(Duration.ofMillis(7000));
        assertThat(settings.timeouts().write()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aZeroTimeoutIsRefusedNamingKeycloaksKey() {
        Map<String, String> smtp = emailTab();
        smtp.put("timeout", "0");
        assertThat(readFails(smtp).field()).isEqualTo("timeout");
        smtp.put("timeout", "ten");
        assertThat(readFails(smtp).field()).isEqualTo("timeout");
        smtp.remove("timeout");
        smtp.put("connectionTimeout", "0");
        assertThat(readFails(smtp).field()).isEqualTo("connectionTimeout");
    }

    @Test
    void aPortThatIsNotANumberNamesThePort() {
        Map<String, String> smtp = emailTab();
        smtp.put("port", "587a");
        assertThat(readFails(smtp).field()).isEqualTo("port");
        smtp.put("port", "70000");
        assertThat(readFails(smtp).field()).isEqualTo("port");
    }

    @Test
    void aHostWithAPortOrSchemeNamesTheHost() {
        Map<String, String> smtp = emailTab();
        smtp.put("host", "smtp://smtp.example.com");
        assertThat(readFails(smtp).field()).isEqualTo("host");
        smtp.put("host", "");
        assertThat(readFails(smtp).field()).isEqualTo("host");
    }

    @Test
    void withoutAllowUtf8AnInternationalDomainGoesOutAsPunycode() {
        Map<String, String> smtp = emailTab();
        smtp.put("from", "noreply@bücher.example");
        assertThat(read(smtp).from().address()).isEqualTo("noreply@xn--bcher-kva.example");
        assertThat(SmtpServerMapping.recipient("anna@bücher.example", false).address()).isEqualTo("anna@xn--bcher-kva.example");
    }

    @Test
    void withoutAllowUtf8ANonAsciiLocalPartIsRefusedWithTheSwitchToTurnOn() {
        Map<String, String> smtp = emailTab();
        smtp.put("from", "jürgen@example.com");
        InvalidInputException e = readFails(smtp);
        assertThat(e.field()).isEqualTo("from");
        assertThat(e.fix()).contains("Allow UTF-8");
        assertThatThrownBy(() -> SmtpServerMapping.recipient("jürgen@example.com", false))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("to: ");
    }

    @Test
    void withAllowUtf8NonAsciiAddressesAreKept() {
        Map<String, String> smtp = emailTab();
        smtp.put("allowutf8", "true");
        smtp.put("from", "jürgen@bücher.example");
        RelaySettings settings = read(smtp);
        assertThat(settings.allowUtf8()).isTrue();
        assertThat(settings.from().address()).isEqualTo("jürgen@bücher.example");
    }

    @Test
    void debugIsCarriedButNeverTurnsOnAngusProtocolDump() {
        Map<String, String> smtp = emailTab();
        smtp.put("debug", "true");
        assertThat(SmtpServerMapping.read(smtp, UnaryOperator.identity(), SERVER, RealmRelayOptions.DEFAULTS).debug()).isTrue();
    }

    @Test
    void theRealmsTabAndTheServerOptionsReachTheSettings() {
        String pin = "sha256/" + "A".repeat(43) + "=";
        RealmRelayOptions realm = new RealmRelayOptions(30, null, pin, null, false);
        RelayConfiguration configuration = SmtpServerMapping.read(emailTab(), UnaryOperator.identity(), SERVER, realm);
        assertThat(configuration.settings().trust().pins()).containsExactly(pin);
        assertThat(configuration.settings().maskRecipients()).isFalse();
        assertThat(configuration.settings().maxConnections()).isEqualTo(ServerOptions.DEFAULT_MAX_CONNECTIONS);
        assertThat(configuration.describe()).containsEntry("rateLimitPerMinute", 30)
                .containsEntry("maskRecipients", false).doesNotContainValue("pw-123");
    }

    @Test
    void equalEmailTabsGiveEqualConfigurationsSoTheRealmRelayIsReused() {
        RelayConfiguration a = SmtpServerMapping.read(emailTab(), UnaryOperator.identity(), SERVER, RealmRelayOptions.DEFAULTS);
        RelayConfiguration b = SmtpServerMapping.read(emailTab(), UnaryOperator.identity(), SERVER, RealmRelayOptions.DEFAULTS);
        assertThat(a).isEqualTo(b);
        Map<String, String> changed = emailTab();
        changed.put("password", "pw-456");
        assertThat(SmtpServerMapping.read(changed, UnaryOperator.identity(), SERVER, RealmRelayOptions.DEFAULTS)).isNotEqualTo(a);
    }
}
