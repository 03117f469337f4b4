package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Case 6, in a JVM of its own so that nothing else the benchmark did is on its heap: live heap (after a full GC) and
 * resident memory with an empty queue, with N mails queued while the relay is down, and after a restart over that
 * spool (the queue rebuilt from disk). The parent reads the {@code key=value} lines this prints.
 */
public final class QueuedHeapFootprint {
    /** The child's heap limit; the same for every run so RSS figures compare. */
    static final String MAX_HEAP = "-Xmx512m";

    private QueuedHeapFootprint() {
    }

    /** Runs the child and returns its figures (bytes), keys such as {@code empty.heap}, {@code queued.rss}. */
    static Map<String, Long> measure(int count, Duration cap) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("relay-bench-heap");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, MAX_HEAP, "-cp", System.getProperty("java.class.path"),
                    QueuedHeapFootprint.class.getName(), Integer.toString(ExternalSinks.freePort()), Integer.toString(count),
                    dir.toString()).redirectErrorStream(true).start();
            Map<String, Long> figures = new LinkedHashMap<>();
            List<String> other = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    int eq = line.indexOf('=');
                    if (line.startsWith("figure ") && eq > 0) {
                        figures.put(line.substring(7, eq), Long.parseLong(line.substring(eq + 1).trim()));
                    } else {
                        other.add(line);
                    }
                }
            }
            if (!p.waitFor(cap.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("the heap footprint child failed: " + String.join("\n", other));
            }
            return figures;
        } finally {
            QueueCases.delete(dir);
        }
    }

    /** Child: {@code <closed port> <count> <work dir>}. */
    public static void main(String[] args) throws Exception {
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.SEVERE);
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        // Nothing listens on the port: every delivery attempt is refused and the mail stays queued.
        RelaySettings down = RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of(SendCases.FROM, "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(5))).build();

        // The code paths are loaded and compiled on a throw-away spool first, so "empty" is not "never used".
        Path warm = dir.resolve("warm");
        try (MailQueue queue = queue(down, warm)) {
            Workload.runConcurrently(16, 2000, Duration.ofMinutes(2), i -> queue.submit(Workload.message()));
        }
        QueueCases.delete(warm);

        Path spool = dir.resolve("spool");
        try (MailQueue queue = queue(down, spool)) {
            Thread.sleep(1000);
            print("empty");
            // Built inside the task so the messages themselves are garbage once submitted: only the queue keeps state.
            int done = Workload.runConcurrently(16, count, Duration.ofMinutes(5), i -> queue.submit(Workload.message()));
            if (done < count) {
                throw new IllegalStateException("only " + done + " of " + count + " submitted within 5 minutes");
            }
            Thread.sleep(3000); // the dispatcher has met the down relay and parked the mails
            System.out.println("figure queued.depth=" + queue.metrics().queueDepth());
            print("queued");
        }
        try (MailQueue queue = queue(down, spool)) {
            Thread.sleep(3000);
            System.out.println("figure recovered.depth=" + queue.metrics().queueDepth());
            print("recovered");
        }
    }

    private static MailQueue queue(RelaySettings settings, Path spool) {
        return MailQueue.builder().relay(settings).spoolDirectory(spool).deliveryLog(new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY))
                .shutdownTimeout(Duration.ofSeconds(5)).build();
    }

    private static void print(String state) throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        System.out.println("figure " + state + ".heap=" + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        System.out.println("figure " + state + ".rss=" + residentBytes());
    }

    /** VmRSS of this process, from /proc. */
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
