package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RelayCliDemoTest {
    @Test
    void demoProbesSendsShowsTheReceivedMessageAndExitsZero() {
        CliRun run = CliRun.run("demo");
        assertThat(run.exit()).as(run.err()).isEqualTo(0);
        assertThat(run.out())
                .contains("requires STARTTLS and AUTH")
                .contains("every step passed")
                .containsPattern("PASSED +TLS .*TLSv1\\.[23]")
                .containsPattern("PASSED +DATA")
                .contains("Sent.", "Message-ID:", "final reply: 250")
                .contains("recipients=[a***@example.com]")
                .contains("Envelope: MAIL FROM:<jenkins@example.com> RCPT TO:[alice@example.com]")
                .contains("Subject: Build #42 of app failed", "X-Jenkins-Job: app", "See https://ci.example.com/job/app/42/")
                .contains("Relay stopped.");
        assertThat(run.err()).isEmpty();
    }
}
