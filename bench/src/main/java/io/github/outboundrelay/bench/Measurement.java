package io.github.outboundrelay.bench;

import java.util.Arrays;

/**
 * One run of one case: how many messages in how long, and, where the case measures it, a latency per message
 * (nanoseconds; a case fills the first {@code messages} slots).
 *
 * @param messages   messages completed
 * @param nanos      wall time
 * @param latency    per-message latency of the call measured (send, or submit to delivered), or null
 * @param submit     per-message latency of {@code submit} alone, or null
 * @param note       what a reader should know about this run (a time cap reached), or ""
 * @param cpu        CPU time of this JVM (user + system, every thread, the in-process sink included) during the
 *                   run, and its kernel part; {@link CpuTime#NONE} when the case ran in another process
 */
record Measurement(long messages, long nanos, long[] latency, long[] submit, String note, CpuTime cpu) {
    static Measurement of(long messages, long nanos) {
        return new Measurement(messages, nanos, null, null, "", CpuTime.NONE);
    }

    /** Microseconds of this JVM's CPU per message; NaN for a case that ran elsewhere. */
    double cpuMicrosPerMessage() {
        return cpu.totalNanos() < 0 || messages == 0 ? Double.NaN : cpu.totalNanos() / 1e3 / messages;
    }

    /** Microseconds of that CPU spent in the kernel (system calls, loopback TCP), per message; NaN when unknown. */
    double kernelMicrosPerMessage() {
        return cpu.kernelNanos() < 0 || messages == 0 ? Double.NaN : cpu.kernelNanos() / 1e3 / messages;
    }

    double perSecond() {
        return messages / (nanos / 1e9);
    }

    /** The p-quantile (0..1) of {@code values}' first {@code count} entries, in milliseconds; NaN when none. */
    static double percentileMillis(long[] values, int count, double p) {
        if (values == null || count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        int index = (int) Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1));
        return sorted[index] / 1e6;
    }
}
