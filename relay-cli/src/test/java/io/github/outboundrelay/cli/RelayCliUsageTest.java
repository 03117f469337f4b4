package io.github.outboundrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit status 2 (and 0 for --help, 1 for the unexpected): everything decided before a relay is contacted. */
class RelayCliUsageTest {
    // Nothing listens here, and nothing may be contacted: every case must fail before connecting.
    static final String[] RELAY = {"--host", "relay.invalid", "--port", "587", "--tls", "starttls"};

    static String[] probe(String... more) {
        return concat(concat(new String[] {"probe"}, RELAY), more);
    }

    static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void noArgumentsPrintsTheUsageOnStandardErrorAndExitsTwo() {
        CliRun run = CliRun.run();
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Usage:", "probe", "send", "demo", "--password-env");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void helpPrintsTheUsageOnStandardOutputAndExitsZero() {
        for (String[] args : new String[][] {{"--help"}, {"-h"}, {"help"}, {"probe", "--help"}, {"send", "--host", "x", "--help"}}) {
            CliRun run = CliRun.run(args);
            assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(0);
            assertThat(run.out()).contains("Usage:", "Exit status");
        }
    }

    @Test
    void anUnknownCommandExitsTwo() {
        CliRun run = CliRun.run("sned", "--host", "x");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown command 'sned'", "probe, send or demo", "--help");
    }

    @Test
    void anUnknownOptionExitsTwoAndIsNamed() {
        CliRun run = CliRun.run(probe("--starttls"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown option --starttls for probe");
    }

    @Test
    void anOptionWithoutItsValueExitsTwo() {
        assertThat(CliRun.run("probe", "--host").err()).contains("--host needs a value");
        CliRun run = CliRun.run("probe", "--host", "--port", "587");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--host needs a value");
    }

    @Test
    void aStrayArgumentExitsTwo() {
        CliRun run = CliRun.run("send", "--host", "x", "hello");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unexpected argument 'hello'", "standard input");
    }

    @Test
    void anOptionGivenTwiceExitsTwo() {
        CliRun run = CliRun.run(probe("--host", "other.invalid"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--host is given more than once");
    }

    @Test
    void aMissingHostExitsTwo() {
        CliRun run = CliRun.run("probe", "--port", "587");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("probe needs --host");
    }

    @Test
    void aPasswordOnTheCommandLineIsRefusedWithTheReasonAndWhatToUseInstead() {
        for (String[] args : new String[][] {probe("--user", "u", "--password", "hunter2-secret"),
                probe("--user", "u", "--password=hunter2-secret"), {"send", "--password", "hunter2-secret", "--help"}}) {
            CliRun run = CliRun.run(args);
            assertThat(run.exit()).isEqualTo(2);
            assertThat(run.err()).contains("--password is refused", "process list", "shell history",
                    "--password-env", "--password-stdin");
            assertThat(run.all()).doesNotContain("hunter2-secret");
        }
    }

    @Test
    void anInvalidSettingExitsTwoNamingTheFieldAndTheFix() {
        CliRun run = CliRun.run("probe", "--host", "relay.invalid", "--port", "70000");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid port (--port): is 70000, outside 1..65535",
                "fix: Use 587 for STARTTLS or 465 for implicit TLS");
    }

    @Test
    void aHostGivenAsUrlExitsTwoWithTheFix() {
        CliRun run = CliRun.run("probe", "--host", "smtp://smtp.example.com");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid host (--host)", "is a URL", "fix: Enter only the host name");
    }

    @Test
    void anUnknownTlsModeExitsTwoWithTheModesThereAre() {
        CliRun run = CliRun.run("probe", "--host", "relay.invalid", "--tls", "maybe");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid tlsMode (--tls)", "fix: Use starttls (port 587), implicit (port 465) or none");
    }

    @Test
    void aPasswordOverPlaintextIsRefused() {
        CliRun run = CliRun.run(Map.of("PW", "x"), "", "probe", "--host", "relay.invalid", "--tls", "none",
                "--user", "u", "--password-env", "PW");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid tlsMode (--tls)", "unencrypted", "fix: Choose STARTTLS");
    }

    @Test
    void aZeroOrNonNumericTimeoutExitsTwo() {
        CliRun zero = CliRun.run(probe("--connect-timeout", "0"));
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("invalid connectTimeout (--connect-timeout)", "zero (wait forever) is not allowed");
        CliRun words = CliRun.run(probe("--read-timeout", "10s"));
        assertThat(words.exit()).isEqualTo(2);
        assertThat(words.err()).contains("--read-timeout '10s' is not a whole number");
    }

    @Test
    void aMalformedAddressExitsTwoNamingTheOption() {
        CliRun run = CliRun.run(probe("--from", "jenkins at example.com"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid from (--from)", "is not a valid address", "fix: Enter an address");
    }

    @Test
    void aUserWithoutAPasswordSourceExitsTwo() {
        CliRun run = CliRun.run(probe("--user", "u"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--user needs a password", "--password-env", "--password-stdin");
    }

    @Test
    void aPasswordSourceWithoutUserExitsTwo() {
        CliRun run = CliRun.run(Map.of("PW", "x"), "", probe("--password-env", "PW"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("a password needs --user");
    }

    @Test
    void bothPasswordSourcesExitTwo() {
        CliRun run = CliRun.run(Map.of("PW", "x"), "x\n", probe("--user", "u", "--password-env", "PW", "--password-stdin"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("either --password-env or --password-stdin, not both");
    }

    @Test
    void anUnsetOrEmptyPasswordVariableExitsTwoNamingIt() {
        CliRun unset = CliRun.run(Map.of(), "", probe("--user", "u", "--password-env", "RELAY_PASSWORD"));
        assertThat(unset.exit()).isEqualTo(2);
        assertThat(unset.err()).contains("the environment variable RELAY_PASSWORD is not set");
        CliRun empty = CliRun.run(Map.of("RELAY_PASSWORD", ""), "", probe("--user", "u", "--password-env", "RELAY_PASSWORD"));
        assertThat(empty.exit()).isEqualTo(2);
        assertThat(empty.err()).contains("the environment variable RELAY_PASSWORD is empty");
    }

    @Test
    void anEmptyStandardInputForPasswordStdinExitsTwo() {
        CliRun run = CliRun.run(Map.of(), "", probe("--user", "u", "--password-stdin"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--password-stdin: the first line of standard input is empty");
    }

    @Test
    void aMissingTrustFileExitsTwo(@TempDir Path dir) {
        CliRun run = CliRun.run(probe("--trust-pem", dir.resolve("nope.pem").toString()));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("nope.pem: no such file");
    }

    @Test
    void aTrustFileWithoutCertificateExitsTwoWithTheFix(@TempDir Path dir) throws IOException {
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "this is not a certificate\n");
        CliRun run = CliRun.run(probe("--trust-pem", notPem.toString()));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid trustPem (--trust-pem): holds no PEM certificate", "-----BEGIN CERTIFICATE-----");
    }

    @Test
    void aMalformedPinExitsTwoWithTheFix() {
        CliRun run = CliRun.run(probe("--pin", "AA:BB:CC"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid certificatePin (--pin)", "the probe report prints it");
    }

    @Test
    void aProbeTestRecipientNeedsASender() {
        CliRun run = CliRun.run(probe("--to", "ops@example.com"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("add --from");
    }

    @Test
    void aProbeTakesOneTestRecipient() {
        CliRun run = CliRun.run(probe("--from", "ci@example.com", "--to", "a@example.com", "--to", "b@example.com"));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--to is given more than once");
    }

    @Test
    void sendNeedsARecipientAndASubject() {
        CliRun noRecipient = CliRun.run("send", "--host", "relay.invalid", "--subject", "s");
        assertThat(noRecipient.exit()).isEqualTo(2);
        assertThat(noRecipient.err()).contains("send needs --to");
        CliRun noSubject = CliRun.run("send", "--host", "relay.invalid", "--to", "ops@example.com");
        assertThat(noSubject.exit()).isEqualTo(2);
        assertThat(noSubject.err()).contains("send needs --subject");
    }

    @Test
    void sendRefusesALineBreakInTheSubject() {
        CliRun run = CliRun.run("send", "--host", "relay.invalid", "--from", "ci@example.com", "--to", "ops@example.com",
                "--subject", "hi\r\nBcc: victim@example.com");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("invalid subject (--subject): contains a line break");
    }

    @Test
    void demoTakesNoOptions() {
        CliRun run = CliRun.run("demo", "--host", "x");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("unknown option --host for demo");
    }

    @Test
    void unreadableStandardInputExitsOne() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("stdin closed by the test");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = RelayCli.run(probe("--user", "u", "--password-stdin"), broken, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("could not read standard input", "stdin closed by the test")
                .doesNotContain("\tat ");
    }
}
