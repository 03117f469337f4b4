package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.json.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code relay probe} against a real relay on loopback that requires STARTTLS and AUTH. */
class RelayCliProbeTest extends AgainstTestRelay {
    CliRun probe(String stdin, List<String> options) {
        return run("probe", stdin, options);
    }

    CliRun probe(String... more) {
        return probe("", relay.options(more));
    }

    @Test
    void aWorkingRelayPassesEveryStepAndExitsZero() {
        CliRun run = probe("--from", "ci@example.com");
        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).contains("every step passed");
        for (String step : List.of("DNS", "TCP", "GREETING", "EHLO", "TLS", "AUTH", "MAIL_FROM")) {
            assertThat(run.out()).containsPattern("PASSED +" + step + " ");
        }
        assertThat(run.out()).containsPattern("SKIPPED +RCPT_TO").contains("C: AUTH PLAIN [redacted]");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void aTestRecipientMakesTheProbeSendATestMessage() throws Exception {
        int before = relay.relay.received().size();
        CliRun run = probe("--from", "ci@example.com", "--to", "ops@example.com");
        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).containsPattern("PASSED +RCPT_TO").containsPattern("PASSED +DATA");
        var mail = relay.relay.awaitMessages(before + 1, Duration.ofSeconds(5)).get(before);
        assertThat(mail.recipients()).containsExactly("ops@example.com");
        assertThat(mail.content()).contains("Subject: Outbound Relay test message");
    }

    @Test
    void jsonOutputParsesAndListsTheSteps() {
        CliRun run = probe("--from", "ci@example.com", "--json");
        assertThat(run.exit()).isEqualTo(0);
        Map<String, Object> report = Json.parseObject(run.out().strip());
        assertThat(report).containsEntry("passed", true).containsEntry("tlsMode", "STARTTLS")
                .containsEntry("relay", "127.0.0.1:" + relay.relay.port());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) report.get("steps");
        assertThat(steps).extracting(s -> s.get("step"))
                .containsExactly("DNS", "TCP", "GREETING", "EHLO", "TLS", "EHLO", "AUTH", "MAIL_FROM", "RCPT_TO", "DATA");
        assertThat(steps).filteredOn(s -> s.get("step").equals("AUTH")).singleElement()
                .satisfies(s -> assertThat(s).containsEntry("outcome", "PASSED"));
    }

    @Test
    void aWrongPasswordExitsThreeWithAuthFailedAndItsRemedy() {
        List<String> options = relay.options();
        options.set(options.indexOf(TestRelay.PASSWORD_VARIABLE), "WRONG_PASSWORD");
        CliRun run = probe("", options);
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).contains("FAILED", "category: AUTH_FAILED (transient)",
                "AUTH PLAIN refused: 535 Authentication credentials invalid",
                FailureCategory.AUTH_FAILED.remedy().substring(1));
    }

    @Test
    void aWrongPasswordInJsonNamesTheCategoryAndRemedy() {
        List<String> options = relay.options("--json");
        options.set(options.indexOf(TestRelay.PASSWORD_VARIABLE), "WRONG_PASSWORD");
        CliRun run = probe("", options);
        assertThat(run.exit()).isEqualTo(3);
        Map<String, Object> report = Json.parseObject(run.out().strip());
        assertThat(report).containsEntry("passed", false);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) report.get("steps");
        assertThat(steps).filteredOn(s -> "FAILED".equals(s.get("outcome"))).singleElement().satisfies(s -> {
            assertThat(s).containsEntry("step", "AUTH").containsEntry("category", "AUTH_FAILED");
            assertThat((String) s.get("remedy")).contains(FailureCategory.AUTH_FAILED.remedy().substring(1));
        });
    }

    @Test
    void thePasswordCanComeFromTheFirstLineOfStandardInput() {
        List<String> options = relay.options();
        int at = options.indexOf("--password-env");
        options.subList(at, at + 2).clear();
        options.add("--password-stdin");
        CliRun run = probe(TestRelay.PASSWORD + "\n", options);
        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).containsPattern("PASSED +AUTH ");
    }

    @Test
    void theTlsStepPrintsThePinAndThatPinIsAccepted() throws Exception {
        String pin = relay.pin();
        CliRun unpinned = probe();
        assertThat(unpinned.out()).contains("pin: " + pin);
        CliRun pinned = probe("--pin", pin);
        assertThat(pinned.exit()).isEqualTo(0);
    }

    @Test
    void anotherPinExitsThreeWithPinMismatchNamingThePresentedPin() throws Exception {
        CliRun run = probe("--pin", "sha256/" + "A".repeat(43) + "=");
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).contains("category: CERTIFICATE_PIN_MISMATCH (permanent)",
                FailureCategory.CERTIFICATE_PIN_MISMATCH.remedy(), "the relay presented " + relay.pin());
    }

    @Test
    void withoutTheTrustBundleTheSelfSignedCertificateIsUntrusted() {
        List<String> options = relay.options();
        int at = options.indexOf("--trust-pem");
        options.subList(at, at + 2).clear();
        CliRun run = probe("", options);
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).contains("category: CERTIFICATE_UNTRUSTED", FailureCategory.CERTIFICATE_UNTRUSTED.remedy());
    }

    @Test
    void aClosedPortExitsThreeWithConnectRefused() throws Exception {
        List<String> options = relay.options();
        options.set(options.indexOf("--port") + 1, Integer.toString(TestRelay.closedPort()));
        CliRun run = probe("", options);
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).containsPattern("FAILED +TCP").contains("category: CONNECT_REFUSED",
                FailureCategory.CONNECT_REFUSED.remedy());
    }
}
