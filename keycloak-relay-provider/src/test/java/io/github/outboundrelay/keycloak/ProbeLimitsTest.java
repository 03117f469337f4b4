package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Timeouts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ProbeLimitsTest {
    static final ServerOptions SERVER = ServerOptions.parse(Map.of("fallback-relays", "backup.example.com:587",
            "credential-hosts", "lab.example.com, idp.example.com")::get, Path.of("/opt/keycloak"));
    static final RealmRelayOptions TAB = new RealmRelayOptions(null, "smtp2.example.com:2587", null, null, null);

    static Map<String, String> saved() {
        Map<String, String> smtp = SmtpServerMappingTest.emailTab(); // smtp.example.com:587, STARTTLS, basic
        smtp.put("port", "");
        return smtp;
    }

    static RelaySettings proposed(String host, String port) {
        Map<String, String> smtp = SmtpServerMappingTest.emailTab();
        smtp.put("host", host);
        smtp.put("port", port);
        return SmtpServerMapping.read(smtp, UnaryOperator.identity(), SERVER, TAB).settings();
    }

    static Optional<InvalidInputException> refusal(RelaySettings settings) {
        return ProbeLimits.refusal(settings, saved(), TAB, SERVER);
    }

    @Test
    void theSavedRelayItsFallbacksAndListedHostsMayBeProbed() {
        assertThat(refusal(proposed("SMTP.example.com", "587"))).as("the saved relay, its empty port meaning 587").isEmpty();
        assertThat(refusal(proposed("smtp2.example.com", "2587"))).as("the realm's fallback").isEmpty();
        assertThat(refusal(proposed("backup.example.com", "587"))).as("the server's fallback").isEmpty();
        assertThat(refusal(proposed("lab.example.com", "25"))).as("a listed host, any port").isEmpty();
    }

    @Test
    void anyOtherHostOrPortIsRefusedNamingTheFieldAndTheServerOption() {
        InvalidInputException otherHost = refusal(proposed("10.0.0.7", "22")).orElseThrow();
        assertThat(otherHost.field()).isEqualTo("host");
        assertThat(otherHost.fix()).contains("--spi-email-sender--relay--credential-hosts");
        assertThat(refusal(proposed("smtp.example.com", "6379")).orElseThrow().field()).isEqualTo("port");
        assertThat(ProbeLimits.refusal(proposed("smtp.example.com", "587"), Map.of(), RealmRelayOptions.DEFAULTS, SERVER))
                .as("a realm that saved nothing").isPresent();
    }

    @Test
    void aTokenComesOnlyFromTheSavedTokenUrlOrAListedHost() {
        Map<String, String> token = SmtpServerMappingTest.emailTab();
        token.put("authType", "token");
        token.put("authTokenUrl", "https://login.example.com/tenant/token");
        token.put("authTokenClientId", "keycloak");
        token.put("authTokenClientSecret", "s");
        Map<String, String> elsewhere = new HashMap<>(token);
        elsewhere.put("authTokenUrl", "https://169.254.169.254/latest/api/token");
        Map<String, String> listed = new HashMap<>(token);
        listed.put("authTokenUrl", "https://idp.example.com/token");

        assertThat(ProbeLimits.refusal(settings(token), token, TAB, SERVER)).isEmpty();
        assertThat(ProbeLimits.refusal(settings(listed), token, TAB, SERVER)).isEmpty();
        InvalidInputException refused = ProbeLimits.refusal(settings(elsewhere), token, TAB, SERVER).orElseThrow();
        assertThat(refused.field()).isEqualTo("authTokenUrl");
        assertThat(refused.fix()).contains("169.254.169.254", "credential-hosts");
    }

    @Test
    void noTimeoutGivenMakesAStepWaitLongerThanFifteenSeconds() {
        Map<String, String> patient = SmtpServerMappingTest.emailTab();
        patient.put("connectionTimeout", "600000");
        patient.put("timeout", "600000");
        patient.put("writeTimeout", "600000");
        Timeouts capped = ProbeLimits.capped(settings(patient)).timeouts();
        assertThat(capped.connect()).isEqualTo(Duration.ofSeconds(3));
        assertThat(capped.read()).isEqualTo(Duration.ofSeconds(6));
        assertThat(capped.write()).isEqualTo(Duration.ofSeconds(6));
        Duration limit = Duration.ofSeconds(ProbeLimits.STEP_LIMIT_SECONDS);
        // A token request waits for the connection and then the answer.
        assertThat(capped.connect().plus(capped.read())).isLessThanOrEqualTo(limit);
        // A greeting that never comes, then the implicit-TLS check: a connect and a handshake of at most 5 s.
        assertThat(capped.read().plus(capped.connect()).plusSeconds(5)).isLessThan(limit);

        Map<String, String> brisk = SmtpServerMappingTest.emailTab();
        brisk.put("connectionTimeout", "2000");
        brisk.put("timeout", "3000");
        brisk.put("writeTimeout", "3000");
        RelaySettings shorter = settings(brisk);
        assertThat(ProbeLimits.capped(shorter)).as("shorter timeouts stay as they are").isSameAs(shorter);
    }

    private static RelaySettings settings(Map<String, String> smtp) {
        return SmtpServerMapping.read(smtp, UnaryOperator.identity(), SERVER, TAB).settings();
    }
}
