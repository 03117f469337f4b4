package io.github.outboundrelay.cli;

import io.github.outboundrelay.testing.DovecotServer;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code relay bounces} against a real Dovecot on loopback. */
class RelayCliBouncesTest {
    @TempDir
    static Path dir;
    static DovecotServer dovecot;
    static Path trustPem;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        dovecot = DovecotServer.start(dir); // The mail processes run as nobody: the directory must be one they can enter.
        trustPem = Files.writeString(dir.resolve("ca.pem"), dovecot.certificate.pem());
        dovecot.deliver("admin", "INBOX", DovecotServer.fixture("postfix-unknown-user.eml"));
        dovecot.deliver("admin", "INBOX", DovecotServer.fixture("ses-complaint.eml"));
        dovecot.deliver("admin", "INBOX", DovecotServer.fixture("delayed-and-failed.eml"));
        dovecot.deliver("admin", "INBOX", DovecotServer.fixture("qmail-plain-text.eml"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (dovecot != null) {
            dovecot.close();
        }
    }

    static CliRun bounces(String... more) {
        List<String> args = new ArrayList<>(List.of("bounces", "--host", "127.0.0.1", "--port",
                Integer.toString(dovecot.imapsPort), "--user", "admin", "--password-env", "IMAP_PASSWORD",
                "--trust-pem", trustPem.toString()));
        args.addAll(List.of(more));
        return CliRun.run(Map.of("IMAP_PASSWORD", DovecotServer.PASSWORD), "", args.toArray(String[]::new));
    }

    @Test
    void printsEachReportAndTheCountsAndExitsZero() {
        CliRun run = bounces();
        assertThat(run.exit()).as(run.all()).isEqualTo(0);
        assertThat(run.out()).contains("4 mail(s), 4 read; nothing was changed.")
                .containsPattern("hard +nobody@example.org  5.1.1")
                .contains("diagnostic:   550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown")
                .contains("Message-ID:   <reset-4711@relay.example.net>")
                .contains("reported by:  mail.example.net")
                .containsPattern("complaint +complaint@simulator.amazonses.com  -")
                .containsPattern("soft +later@example.org  4.4.7")
                .contains("Counts: hard 2, soft 2, complaint 1, unknown 1");
        assertThat(run.err()).isEmpty();
        assertThat(bounces().out()).as("read-only: the same again").isEqualTo(run.out());
    }

    @Test
    void jsonHasTheReportsArrayWithItsFieldsAndTheCounts() {
        CliRun run = bounces("--json");
        assertThat(run.exit()).isEqualTo(0);
        Map<String, Object> json = Json.parseObject(run.out().strip());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> reports = (List<Map<String, Object>>) json.get("reports");
        assertThat(reports).hasSize(6);
        assertThat(reports).filteredOn(r -> r.get("recipient").equals("nobody@example.org")).singleElement().isEqualTo(Map.of(
                "kind", "hard", "recipient", "nobody@example.org", "status", "5.1.1",
                "diagnostic", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown",
                "originalMessageId", "<reset-4711@relay.example.net>", "reportingMta", "mail.example.net"));
        assertThat(reports).extracting(r -> r.get("kind")).containsExactlyInAnyOrder("hard", "complaint", "soft", "soft", "hard", "unknown");
        assertThat(json.get("counts")).isEqualTo(Map.of("hard", 2L, "soft", 2L, "complaint", 1L, "unknown", 1L));
    }

    @Test
    void startTlsWorksToo() {
        CliRun run = bounces("--tls", "starttls", "--port", Integer.toString(dovecot.starttlsPort));
        assertThat(run.exit()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).contains("--port is given more than once");
        List<String> args = new ArrayList<>(List.of("bounces", "--host", "127.0.0.1", "--port",
                Integer.toString(dovecot.starttlsPort), "--tls", "starttls", "--user", "admin",
                "--password-stdin", "--trust-pem", trustPem.toString()));
        CliRun viaStdin = CliRun.run(Map.of(), DovecotServer.PASSWORD + "\n", args.toArray(String[]::new));
        assertThat(viaStdin.exit()).as(viaStdin.all()).isEqualTo(0);
        assertThat(viaStdin.out()).contains("Counts: hard 2, soft 2, complaint 1, unknown 1");
    }

    @Test
    void aWrongPasswordExitsThreeWithCategoryAndRemedy() {
        List<String> args = List.of("bounces", "--host", "127.0.0.1", "--port", Integer.toString(dovecot.imapsPort),
                "--user", "admin", "--password-env", "IMAP_PASSWORD", "--trust-pem", trustPem.toString());
        CliRun run = CliRun.run(Map.of("IMAP_PASSWORD", "not-it"), "", args.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(3);
        assertThat(run.out()).contains("category: AUTH_FAILED").contains("remedy:   The IMAP server refused the login")
                .doesNotContain("not-it");
    }

    @Test
    void nothingListeningExitsThreeAsJson() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> args = List.of("bounces", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--user", "admin", "--password-env", "IMAP_PASSWORD", "--json");
        CliRun run = CliRun.run(Map.of("IMAP_PASSWORD", "x"), "", args.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(3);
        assertThat(Json.parseObject(run.out().strip())).containsEntry("read", false)
                .containsEntry("category", "CONNECT_REFUSED").containsKey("remedy");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(CliRun.run("bounces", "--host", "127.0.0.1").exit()).isEqualTo(2);
        CliRun plain = CliRun.run(Map.of("P", "x"), "", "bounces", "--host", "h", "--user", "u", "--password-env", "P",
                "--tls", "none");
        assertThat(plain.exit()).isEqualTo(2);
        assertThat(plain.err()).contains("--tls none is refused");
        CliRun noPassword = CliRun.run("bounces", "--host", "h", "--user", "u");
        assertThat(noPassword.exit()).isEqualTo(2);
        assertThat(noPassword.err()).contains("--user needs a password");
        CliRun badPort = CliRun.run(Map.of("P", "x"), "", "bounces", "--host", "h", "--user", "u", "--password-env", "P",
                "--port", "0");
        assertThat(badPort.exit()).isEqualTo(2);
        assertThat(badPort.err()).contains("--port: is 0");
        assertThat(CliRun.run("--help").out()).contains("Options of bounces");
    }
}
