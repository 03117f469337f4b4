package io.github.outboundrelay.common;

/** For the benchmark only: reads the file spool's group-commit counters, which are not public API. */
public final class SpoolStatistics {
    private SpoolStatistics() {
    }

    /** Mails per batch file (each batch is one fsync and one directory fsync) since the spool was opened. */
    public static double mailsPerBatch(FileSpool spool) {
        long[] counts = spool.groupCommitCounts();
        return counts[0] == 0 ? 0 : counts[1] / (double) counts[0];
    }
}
