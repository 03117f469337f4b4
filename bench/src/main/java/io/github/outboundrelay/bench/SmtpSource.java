package io.github.outboundrelay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Postfix's smtp-source, the limit: C, no MIME building, no TLS, one SMTP command per round trip (no pipelining). */
final class SmtpSource {
    private SmtpSource() {
    }

    /**
     * Sends {@code count} messages of 2,048 bytes payload from {@code sessions} parallel sessions.
     *
     * @param reuse true for {@code -d}: each session keeps its connection for the next message
     */
    static Measurement run(int port, int sessions, boolean reuse, int count, Duration cap) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ExternalSinks.SMTP_SOURCE.toString()));
        if (reuse) {
            command.add("-d");
        }
        command.addAll(List.of("-s", Integer.toString(sessions), "-m", Integer.toString(count), "-l", "2048",
                "-f", SendCases.FROM, "-t", "user@example.com", "-M", "bench.example.com", "127.0.0.1:" + port));
        Path log = Files.createTempFile("smtp-source", ".log");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(cap.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("smtp-source did not finish " + count + " messages within " + cap);
            }
            long nanos = System.nanoTime() - start;
            String output = Files.readString(log, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new IOException("smtp-source failed (exit " + p.exitValue() + "): " + output);
            }
            return Measurement.of(count, nanos);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        }
    }
}
