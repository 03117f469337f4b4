package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Run by {@link LargeSpoolRecoveryTest} in a JVM with a heap far smaller than the spooled bodies: recovers the
 * spool, claims and completes some of it, and prints what it found and the heap it needed.
 */
public final class LargeSpoolChild {
    private LargeSpoolChild() {
    }

    public static void main(String[] args) {
        try (FileSpool spool = FileSpool.open(Path.of(args[0]))) {
            int recovered = spool.recover((id, where, reason) -> System.out.println("QUARANTINED " + id + " " + reason));
            int claimed = 0;
            for (Spool.Entry e : spool.claimDue(Instant.now(), 1000)) {
                spool.complete(e.id());
                claimed++;
            }
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.println("RECOVERED " + recovered + " CLAIMED " + claimed + " DEPTH " + spool.depth().queued()
                    + " HEAP_USED " + used);
        }
    }
}
