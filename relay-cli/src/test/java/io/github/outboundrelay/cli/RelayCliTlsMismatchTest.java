package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A port that answers in TLS: the terminal gets the category and the escaped record, never the binary. */
class RelayCliTlsMismatchTest {
    /** Any control character but the line breaks a report is made of: what would garble a terminal. */
    static final Pattern CONTROL = Pattern.compile("[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f]");
    static final String RECORD_SHOWN = "\\x16\\x03\\x03";
    static final String PASSWORD = "correct-horse-battery";

    @Test
    void theCommandLinePrintsNoControlBytesForAPortAnsweringInTls() throws IOException {
        try (ScriptedSmtpPeer tlsPort = ScriptedSmtpPeer.builder().tlsRecordFirst(false).start()) {
            List<String> options = List.of("probe", "--host", "127.0.0.1", "--port", Integer.toString(tlsPort.port()),
                    "--tls", "starttls", "--user", "ci@example.com", "--password-env", "RELAY_PASSWORD",
                    "--from", "ci@example.com", "--connect-timeout", "5000", "--read-timeout", "5000", "--write-timeout", "5000");
            Map<String, String> env = Map.of("RELAY_PASSWORD", PASSWORD);
            CliRun probe = CliRun.run(env, "", options.toArray(String[]::new));
            assertThat(probe.exit()).isEqualTo(3);
            assertThat(probe.out()).contains("category: TLS_MODE_MISMATCH", RECORD_SHOWN);

            List<String> sendArgs = new ArrayList<>(options);
            sendArgs.set(0, "send");
            sendArgs.addAll(List.of("--to", "alice@example.com", "--subject", "x"));
            CliRun send = CliRun.run(env, "body\n", sendArgs.toArray(String[]::new));
            assertThat(send.exit()).isEqualTo(3);
            assertThat(send.err()).contains("Not sent: TLS_MODE_MISMATCH", RECORD_SHOWN, FailureCategory.TLS_MODE_MISMATCH.remedy());
            for (CliRun run : List.of(probe, send)) {
                assertThat(run.all()).doesNotContainPattern(CONTROL).doesNotContain(PASSWORD);
            }
        }
    }
}
