package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.Throttle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** relay-common's durable queue: submit alone, and submit through delivery. Spools live in a temporary directory. */
final class QueueCases {
    private QueueCases() {
    }

    /** {@code submit} alone: the relay is throttled to one mail an hour, so nothing competes with the spool writes. */
    static Measurement durableSubmit(SendCases.Target target, int threads, int count, Duration cap) throws Exception {
        Path spool = Files.createTempDirectory("relay-bench-spool");
        try {
            List<OutboundMessage> prepared = Workload.messages(count);
            long[] latency = new long[count];
            try (FileSpool files = FileSpool.open(spool);
                 MailQueue queue = MailQueue.builder().relay(target.settings(4), Throttle.perHour(1)).spool(files)
                         .deliveryLog(new DeliveryLog(100)).shutdownTimeout(Duration.ofSeconds(5)).build()) {
                CpuTime cpu = CpuTime.now();
                long start = System.nanoTime();
                int done = Workload.runConcurrently(threads, count, cap, i -> {
                    long t0 = System.nanoTime();
                    queue.submit(prepared.get(i));
                    latency[i] = System.nanoTime() - t0;
                });
                long nanos = System.nanoTime() - start;
                String note = String.format(java.util.Locale.ROOT, "%.1f mails per fsync", files.statistics().mailsPerBatch());
                return new Measurement(done, nanos, latency, latency, done < count ? "time cap; " + note : note,
                        CpuTime.since(cpu));
            }
        } finally {
            delete(spool);
        }
    }

    /**
     * {@code submitters} threads submit while the queue delivers over {@code connections} pooled connections; the clock
     * stops when the relay has accepted every mail. Latency is submit-called to relay-accepted, per mail.
     */
    static Measurement endToEnd(SendCases.Target target, int connections, int submitters, int count, Duration cap)
            throws Exception {
        Path spool = Files.createTempDirectory("relay-bench-spool");
        try {
            List<OutboundMessage> prepared = Workload.messages(count);
            long[] submitLatency = new long[count];
            Instant[] submittedAt = new Instant[count];
            DeliveryLog log = new DeliveryLog(count + 1000);
            try (FileSpool files = FileSpool.open(spool);
                 MailQueue queue = MailQueue.builder().relay(target.settings(connections)).spool(files)
                         .deliveryLog(log).build()) {
                CpuTime cpu = CpuTime.now();
                long start = System.nanoTime();
                long deadline = start + cap.toNanos();
                int submitted = Workload.runConcurrently(submitters, count, cap, i -> {
                    submittedAt[i] = Instant.now();
                    long t0 = System.nanoTime();
                    queue.submit(prepared.get(i));
                    submitLatency[i] = System.nanoTime() - t0;
                });
                QueueMetrics m = queue.metrics();
                while (m.sent() < submitted && System.nanoTime() < deadline) {
                    Thread.sleep(10); // metrics() walks the spool index (FileSpool.depth): poll gently
                    m = queue.metrics();
                }
                long nanos = System.nanoTime() - start;
                long delivered = Math.min(submitted, m.sent());
                String note = delivered < count ? "time cap" : "";
                FileSpool.Statistics stats = files.statistics();
                note = (note.isEmpty() ? "" : note + "; ") + String.format(java.util.Locale.ROOT,
                        "%.1f mails per fsync; %d of %d claims from the handoff", stats.mailsPerBatch(),
                        stats.claimedFromMemory(), stats.claimedFromMemory() + stats.claimedFromDisk());
                if (m.failed() > 0) {
                    note = (note.isEmpty() ? "" : note + "; ") + m.failed() + " failed attempts";
                }
                return new Measurement(delivered, nanos, deliveryLatency(prepared, submittedAt, submitted, log),
                        submitLatency, note, CpuTime.since(cpu));
            }
        } finally {
            delete(spool);
        }
    }

    /** Submit-called to relay-accepted for each delivered mail, from the delivery log's event times. */
    private static long[] deliveryLatency(List<OutboundMessage> prepared, Instant[] submittedAt, int submitted, DeliveryLog log) {
        Map<String, Instant> sentAt = new HashMap<>();
        for (DeliveryEvent e : log.recent()) {
            if (e.outcome() == DeliveryEvent.Outcome.SENT) {
                sentAt.putIfAbsent(e.messageId(), e.time());
            }
        }
        long[] latency = new long[submitted];
        int n = 0;
        for (int i = 0; i < submitted; i++) {
            Instant at = sentAt.get(prepared.get(i).messageId());
            if (at != null) {
                latency[n++] = Duration.between(submittedAt[i], at).toNanos();
            }
        }
        return n == submitted ? latency : java.util.Arrays.copyOf(latency, n);
    }

    static void delete(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
