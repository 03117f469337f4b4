package io.github.outboundrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this JVM (every thread, user + system) and the part of it spent in the kernel. The kernel part
 * matters here: over loopback TCP the sender's system calls also run the receiving side's network stack and wake
 * the peer, so a client that makes fewer system calls per mail (pipelining, one write per message) saves more
 * than its own user time shows.
 *
 * @param totalNanos  user + system, from the JVM's operating-system bean (nanosecond precision)
 * @param kernelNanos system time from {@code /proc/self/stat} (clock ticks, 10 ms here), or -1 where there is none
 */
record CpuTime(long totalNanos, long kernelNanos) {
    static final CpuTime NONE = new CpuTime(-1, -1);
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ is 100 on Linux

    static CpuTime now() {
        return new CpuTime(OS.getProcessCpuTime(), kernelNanosSoFar());
    }

    /** The CPU time used since {@code start}. */
    static CpuTime since(CpuTime start) {
        CpuTime end = now();
        return new CpuTime(end.totalNanos - start.totalNanos,
                end.kernelNanos < 0 || start.kernelNanos < 0 ? -1 : end.kernelNanos - start.kernelNanos);
    }

    private static long kernelNanosSoFar() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
            // state is field 3, stime field 15 of the whole line, hence index 12 here.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[12]) * NANOS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
