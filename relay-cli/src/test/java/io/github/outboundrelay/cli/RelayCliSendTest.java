package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.json.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code relay send} through a real relay on loopback that requires STARTTLS and AUTH. */
class RelayCliSendTest extends AgainstTestRelay {
    CliRun send(String body, List<String> options) {
        return run("send", body, options);
    }

    List<String> options(String... more) {
        List<String> options = relay.options("--from", "Jenkins <ci@example.com>", "--subject", "Build #7 failed");
        options.addAll(List.of(more));
        return options;
    }

    @Test
    void theBodyComesFromStandardInputAndTheReceiptIsPrinted() throws Exception {
        int before = relay.relay.received().size();
        CliRun run = send("Build #7 failed.\n.\nSee the log.\n", options("--to", "alice@example.com", "--to", "bob@example.com"));
        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).startsWith("Sent.").containsPattern("Message-ID: +<[^>]+@example\\.com>")
                .contains("accepted:    alice@example.com, bob@example.com", "rejected:    none", "final reply: 250");
        var mail = relay.relay.awaitMessages(before + 1, Duration.ofSeconds(5)).get(before);
        assertThat(mail.envelopeFrom()).isEqualTo("ci@example.com");
        assertThat(mail.recipients()).containsExactly("alice@example.com", "bob@example.com");
        assertThat(mail.content()).contains("Subject: Build #7 failed", "From: Jenkins <ci@example.com>",
                "Build #7 failed.\r\n.\r\nSee the log.");
    }

    @Test
    void withPasswordStdinTheFirstLineIsThePasswordAndTheRestTheBody() throws Exception {
        List<String> options = options("--to", "alice@example.com");
        int at = options.indexOf("--password-env");
        options.subList(at, at + 2).clear();
        options.add("--password-stdin");
        int before = relay.relay.received().size();
        CliRun run = send(TestRelay.PASSWORD + "\nfirst body line\nsecond body line\n", options);
        assertThat(run.exit()).isEqualTo(0);
        String content = relay.relay.awaitMessages(before + 1, Duration.ofSeconds(5)).get(before).content();
        assertThat(content).contains("first body line\r\nsecond body line").doesNotContain(TestRelay.PASSWORD);
    }

    @Test
    void aWrongPasswordExitsThreeWithAuthFailedReplyAndRemedy() {
        List<String> options = options("--to", "alice@example.com");
        options.set(options.indexOf(TestRelay.PASSWORD_VARIABLE), "WRONG_PASSWORD");
        int before = relay.relay.received().size();
        CliRun run = send("body\n", options);
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.err()).startsWith("Not sent: AUTH_FAILED").contains("category: AUTH_FAILED (transient",
                "reply:    535 Authentication credentials invalid", "remedy:", FailureCategory.AUTH_FAILED.remedy().substring(1));
        assertThat(relay.relay.received()).hasSize(before);
    }

    @Test
    void jsonOutputParsesForAReceipt() {
        CliRun run = send("body\n", options("--to", "alice@example.com", "--json"));
        assertThat(run.exit()).isEqualTo(0);
        Map<String, Object> receipt = Json.parseObject(run.out().strip());
        assertThat(receipt).containsEntry("sent", true).containsEntry("accepted", List.of("alice@example.com"))
                .containsEntry("rejected", List.of()).containsKey("messageId");
        assertThat((String) receipt.get("finalReply")).startsWith("250");
    }

    @Test
    void jsonOutputParsesForAFailure() throws Exception {
        List<String> options = options("--to", "alice@example.com", "--json");
        options.set(options.indexOf("--port") + 1, Integer.toString(TestRelay.closedPort()));
        CliRun run = send("body\n", options);
        assertThat(run.exit()).isEqualTo(3);
        Map<String, Object> failure = Json.parseObject(run.out().strip());
        assertThat(failure).containsEntry("sent", false).containsEntry("category", "CONNECT_REFUSED")
                .containsEntry("transient", true).containsEntry("reply", null);
        assertThat((String) failure.get("remedy")).isEqualTo(FailureCategory.CONNECT_REFUSED.remedy());
    }
}
