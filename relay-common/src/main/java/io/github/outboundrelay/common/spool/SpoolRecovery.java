package io.github.outboundrelay.common.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rebuilds the queue from the directory at start. {@link #read} clears {@code tmp/} (writes never acknowledged, and
 * the last run's spares), reads the dead letters' ids and every batch file's live entries (metas only), quarantines
 * damage, and keeps the newest copy of each mail that is not a dead letter. After the index is loaded, {@link #tidy}
 * deletes the batches nothing is left in and marks superseded copies done, so that happens once, not at every start.
 */
final class SpoolRecovery {
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    /** One stored copy of an entry. */
    record Found(SpoolEntryCodec.Meta meta, String batch, long offset, int length) {
    }

    /** What recovery found: the mails to queue, and what {@link #tidy} needs. */
    record Result(List<Found> mails, Map<String, Integer> liveCounts, List<String> batches, List<Found> copies,
                  long maxVersion) {
    }

    private final Path root; // names the spool in errors
    private final Path tmpDir;
    private final BatchFiles batches;
    private final DeadLetterStore deadLetters;
    private final Quarantine quarantine;

    SpoolRecovery(Path root, Path tmpDir, BatchFiles batches, DeadLetterStore deadLetters, Quarantine quarantine) {
        this.root = root;
        this.tmpDir = tmpDir;
        this.batches = batches;
        this.deadLetters = deadLetters;
        this.quarantine = quarantine;
    }

    Result read() throws IOException {
        for (Path p : DurableFiles.list(tmpDir, "*")) {
            // A write that never reached its rename was never acknowledged: garbage. Spares of the last run go
            // too: a crash (or an older version) may have left one holding the bodies of its delivered mail.
            DurableFiles.deleteQuietly(p);
        }
        DeadLetterStore.Found dead = deadLetters.recover();
        long maxVersion = dead.maxVersion();
        List<String> names = batches.names();
        Map<String, Found> newest = new HashMap<>();
        List<Found> copies = new ArrayList<>();
        for (String batch : names) {
            for (Found f : scan(batch)) {
                maxVersion = Math.max(maxVersion, f.meta().version());
                copies.add(f);
                String id = f.meta().id();
                if (dead.ids().contains(id)) {
                    continue;
                }
                Found other = newest.get(id);
                if (other == null || other.meta().version() < f.meta().version()) {
                    newest.put(id, f);
                }
            }
        }
        Map<String, Integer> liveCounts = new HashMap<>();
        newest.values().forEach(f -> liveCounts.merge(f.batch(), 1, Integer::sum));
        return new Result(new ArrayList<>(newest.values()), liveCounts, names, copies, maxVersion);
    }

    void tidy(Result found) {
        for (String batch : found.batches()) {
            if (!found.liveCounts().containsKey(batch)) {
                batches.delete(batch); // Everything in it was delivered or moved.
            }
        }
        // Older copies of a retried mail, and copies of dead letters, are marked done now rather than at every start.
        Set<String> kept = new HashSet<>();
        found.mails().forEach(f -> kept.add(f.batch() + "@" + f.offset()));
        for (Found f : found.copies()) {
            if (!kept.contains(f.batch() + "@" + f.offset()) && found.liveCounts().containsKey(f.batch())) {
                batches.markDone(f.batch(), f.offset());
            }
        }
    }

    /** The live, readable entries of a batch; damaged ones are quarantined and marked done, not read again. */
    private List<Found> scan(String batch) {
        Path file = batches.path(batch);
        List<Found> found = new ArrayList<>();
        try {
            scan(batch, file, found);
        } catch (IOException e) {
            throw SpoolException.of(root, "cannot read " + file.getFileName(), e, "");
        }
        return found;
    }

    private void scan(String batch, Path file, List<Found> found) throws IOException {
        batches.scan(batch, new SpoolEntryCodec.BatchVisitor() {
            @Override
            public void notABatch(String reason) {
                quarantine.copy(batch, file, 0, sizeOf(file), reason);
            }

            @Override
            public void unreadableFrom(long position, String reason) {
                quarantine.copy(batch + "-" + position, file, position, sizeOf(file) - position, reason);
            }

            @Override
            public void unreadable(long position, long length, String reason) {
                quarantine.copy(batch + "-" + position, file, position, length, reason);
            }

            @Override
            public void tornTail(long position, String reason) {
                // An append whose fsync never returned: none of its mails was acknowledged, so nothing is lost.
                LOGGER.log(System.Logger.Level.INFO, "Spool " + root + ": " + file.getFileName() + " ends with an "
                        + "append cut short by a crash (" + reason + "); its mails were never acknowledged");
            }

            @Override
            public void live(long start, int length, SpoolEntryCodec.Meta meta) {
                if (meta.deadLetter() != null || !SpoolIds.isId(meta.id())) {
                    damaged(start, length, "not a queued entry: " + meta.id());
                    return;
                }
                found.add(new Found(meta, batch, start, length));
            }

            @Override
            public void damaged(long start, int length, String reason) {
                quarantine.copy(batch + "-" + start, file, start, length, reason);
                batches.markDone(batch, start); // Quarantined once, not at every start.
            }
        });
    }

    private static long sizeOf(Path file) {
        return file.toFile().length();
    }
}
