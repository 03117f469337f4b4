package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Mail is never lost": a process killed with SIGKILL in the middle of a batch of submits, restarted on the same
 * spool, delivers every mail whose submit had returned, once, to a real STARTTLS + AUTH relay.
 */
class KilledJvmRecoveryTest {
    static final int MAILS = 3000;
    static final int KILL_AFTER = 400;

    @TempDir
    Path spool;

    @Test
    void everyAcknowledgedMailIsDeliveredAfterTheProcessIsKilledMidBatch() throws Exception {
        int refusingPort;
        try (ServerSocket s = new ServerSocket(0)) {
            refusingPort = s.getLocalPort(); // Closed again: connections to it are refused.
        }
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx128m",
                KilledQueueChild.class.getName(), spool.toString(), Integer.toString(refusingPort),
                Integer.toString(MAILS), "8")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<String> acknowledged = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && acknowledged.size() < KILL_AFTER) {
                if (line.startsWith("ACK ")) {
                    acknowledged.add(line.substring(4));
                }
            }
            // SIGKILL on Linux: no shutdown hook, no flush, no close. Through the handle, which leaves our end of
            // the pipe open to read what the child printed before the signal landed.
            child.toHandle().destroyForcibly();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).as("child killed").isTrue();
            while ((line = out.readLine()) != null) { // acknowledgements printed before the kill landed
                if (line.startsWith("ACK ")) {
                    acknowledged.add(line.substring(4));
                }
            }
        }
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);
        assertThat(acknowledged).as("killed mid-batch").hasSizeBetween(KILL_AFTER, MAILS - 1);

        SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
        DeliveryLog log = new DeliveryLog(100);
        try (EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), "jenkins", "s3cret-pw")) {
            RelaySettings live = RelaySettings.builder()
                    .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password("jenkins", Secret.of("s3cret-pw")))
                    .trust(TrustSettings.pem(certificate.pem()))
                    .from(MailAddress.of("ci@example.com", "CI", "from"))
                    .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                    .build();
            try (MailQueue queue = MailQueue.builder().relay(live).spoolDirectory(spool).deliveryLog(log).build()) {
                long recovered = queue.metrics().queueDepth();
                System.out.printf("killed after %d acknowledged submits; %d mails recovered from the spool%n",
                        acknowledged.size(), recovered);
                assertThat(recovered).isGreaterThanOrEqualTo(acknowledged.size());
                relay.awaitMessages((int) recovered, Duration.ofSeconds(60));
                assertThat(queue.metrics().quarantined()).as("no torn entry").isZero();
            }
            Map<String, Long> copies = relay.received().stream().map(KilledJvmRecoveryTest::messageId)
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(copies.keySet()).containsAll(acknowledged);
            assertThat(copies.values()).as("nothing was delivered before the kill, so nothing twice").containsOnly(1L);
        }
        try (var leftovers = Files.list(spool.resolve("queue"))) {
            assertThat(leftovers).isEmpty();
        }
    }

    static String messageId(EmbeddedRelay.ReceivedMail mail) {
        for (String header : mail.content().split("\r\n")) {
            if (header.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                return header.substring(11).trim();
            }
        }
        return "";
    }
}
