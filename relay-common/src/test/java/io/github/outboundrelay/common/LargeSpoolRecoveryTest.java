package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.SpoolEntryCodec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100,000 queued mails must not need their bodies on the heap: a spool holding 100,000 mails of 2 KiB each (200 MB
 * of bodies) is recovered and used by a JVM limited to a 64 MB heap.
 */
class LargeSpoolRecoveryTest {
    static final int MAILS = 100_000;

    @TempDir
    Path spool;

    @Test
    void aHundredThousandQueuedMailsRecoverIntoAHeapSmallerThanTheirBodies() throws Exception {
        Path queue = Files.createDirectories(spool.resolve("queue"));
        String body = "x".repeat(2048);
        long millis = Instant.parse("2025-03-01T08:00:00Z").toEpochMilli();
        for (int b = 0; b < MAILS / 100; b++) {
            List<byte[]> entries = new ArrayList<>();
            for (int i = b * 100; i < (b + 1) * 100; i++) {
                OutboundMessage m = OutboundMessage.builder().messageId("<large-" + i + "@example.com>")
                        .to("user" + i + "@example.com").subject("Mail " + i).text(body).build();
                entries.add(SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(String.format("%012x-%014x", millis, i), i + 1,
                        millis, millis + i, 0, "", null), SpoolEntryCodec.encodeBody(m)));
            }
            // Written directly, in batches of 100, without fsyncs: only the recovery is under test here.
            Files.write(queue.resolve(String.format("%012x-%014x.batch", millis, MAILS + b)),
                    SpoolEntryCodec.encodeBatch(entries, new long[entries.size()]));
        }

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-cp", System.getProperty("java.class.path"), LargeSpoolChild.class.getName(), spool.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("RECOVERED 100000 CLAIMED 1000 DEPTH 99000");
        long heapUsed = Long.parseLong(output.replaceAll("(?s).*HEAP_USED (\\d+).*", "$1"));
        System.out.printf("100,000 queued mails (%d MB of bodies) recovered with %d MB of heap in use%n",
                (long) MAILS * body.length() / 1_000_000, heapUsed / 1_000_000);
        assertThat(heapUsed).isLessThan(48L << 20);
    }
}
