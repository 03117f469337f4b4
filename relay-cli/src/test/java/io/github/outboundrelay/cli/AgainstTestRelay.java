package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the CLI against one real STARTTLS + AUTH relay per test class, and checks after every test that no
 * password reached standard output or standard error.
 */
abstract class AgainstTestRelay {
    @TempDir
    static Path dir;
    static TestRelay relay;
    final List<CliRun> runs = new ArrayList<>();

    @BeforeAll
    static void startRelay() throws Exception {
        relay = new TestRelay(dir);
    }

    @AfterAll
    static void stopRelay() {
        relay.close();
    }

    @AfterEach
    void noPasswordWasPrinted() {
        assertThat(runs).isNotEmpty().allSatisfy(run -> assertThat(run.all())
                .doesNotContain(TestRelay.PASSWORD).doesNotContain(TestRelay.ENV.get("WRONG_PASSWORD")));
    }

    /** Runs {@code relay COMMAND options} with {@code stdin} as standard input. */
    CliRun run(String command, String stdin, List<String> options) {
        CliRun run = CliRun.run(TestRelay.ENV, stdin, TestRelay.args(command, options));
        runs.add(run);
        return run;
    }
}
