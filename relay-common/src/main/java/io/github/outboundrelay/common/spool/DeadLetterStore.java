package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code dead/}: mail given up on, one entry file each ({@code ID.msg}) with the dead-letter record in its meta,
 * written durably. Requeue, purge and the deletion of old bodies take turns ({@link #turns}); listing reads metas
 * only and moves what it cannot read to quarantine.
 */
final class DeadLetterStore {
    static final String ENTRY = ".msg";

    private final Path root; // names the spool in errors
    private final Path dir;
    private final DurableFiles files;
    private final Quarantine quarantine;
    private final AtomicLong count = new AtomicLong();
    /** Held by requeue, purge and body deletion: one dead letter is changed by one of them at a time. */
    final Object turns = new Object();

    DeadLetterStore(Path root, Path dir, DurableFiles files, Quarantine quarantine) {
        this.root = root;
        this.dir = dir;
        this.files = files;
        this.quarantine = quarantine;
    }

    /** What recovery needs: the ids of the dead letters (their queued copies are not mail any more) and versions. */
    record Found(Set<String> ids, long maxVersion) {
    }

    Found recover() throws IOException {
        Set<String> ids = new HashSet<>();
        long maxVersion = 0;
        for (Path p : DurableFiles.list(dir, "*" + ENTRY)) {
            ids.add(DurableFiles.nameOf(p, ENTRY));
            try {
                maxVersion = Math.max(maxVersion, readMeta(p).version());
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                // Listed as it is; list() quarantines it when it is read.
            }
        }
        count.set(ids.size());
        return new Found(ids, maxVersion);
    }

    long count() {
        return count.get();
    }

    Path path(String id) {
        return dir.resolve(id + ENTRY);
    }

    /** Writes a dead letter durably; {@link #added} counts it once its queued copy is gone. */
    void write(String id, byte[] entry) throws IOException {
        files.writeInto(dir, id + ENTRY, entry);
    }

    void added() {
        count.incrementAndGet();
    }

    /** A dead letter left the store (requeued, purged, quarantined). */
    void removed() {
        count.decrementAndGet();
    }

    /** The first {@code limit} dead letters by id (oldest first); unreadable ones are moved to quarantine. */
    List<DeadLetter> list(int limit) throws IOException {
        List<Path> paths = DurableFiles.list(dir, "*" + ENTRY);
        paths.sort(Comparator.comparing(p -> p.getFileName().toString()));
        List<DeadLetter> letters = new ArrayList<>();
        for (Path p : paths) {
            if (letters.size() >= limit) {
                break;
            }
            try {
                SpoolEntryCodec.Meta meta = readMeta(p);
                if (meta.deadLetter() == null || !meta.id().equals(DurableFiles.nameOf(p, ENTRY))) {
                    throw new SpoolEntryCodec.CorruptEntryException("not the dead letter its name says");
                }
                letters.add(meta.deadLetter());
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                quarantine(DurableFiles.nameOf(p, ENTRY), p, e.getMessage());
            } catch (NoSuchFileException e) {
                // Purged while we listed.
            } catch (IOException e) {
                throw SpoolException.of(root, "cannot read dead letter " + p.getFileName(), e, "");
            }
        }
        return letters;
    }

    /** Moves an unreadable dead letter to quarantine. */
    void quarantine(String id, Path file, String reason) {
        quarantine.move(id, file, reason);
        removed();
    }

    /** Rewrites a dead letter given up before {@code before} without its body. @return whether it did; call in turn */
    boolean deleteBodyOf(Path deadLetter, Instant before) throws IOException {
        SpoolEntryCodec.Meta meta;
        try {
            meta = readMeta(deadLetter);
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            return false; // list() quarantines it when it lists it
        } catch (NoSuchFileException e) {
            return false; // purged meanwhile
        }
        if (meta.deadLetter() == null || meta.bodyDeleted() || !meta.deadLetter().deadLettered().isBefore(before)) {
            return false;
        }
        files.writeInto(dir, deadLetter.getFileName().toString(), SpoolEntryCodec.encode(meta.withoutBody(), new byte[0]));
        return true;
    }

    /** Deletes the bodies of dead letters given up before {@code before}. @return how many */
    int deleteBodies(Instant before) throws IOException {
        int deleted = 0;
        synchronized (turns) {
            for (Path p : DurableFiles.list(dir, "*" + ENTRY)) {
                deleted += deleteBodyOf(p, before) ? 1 : 0;
            }
        }
        return deleted;
    }

    /** The header and meta of an entry file, without its body. */
    static SpoolEntryCodec.Meta readMeta(Path p) throws IOException, SpoolEntryCodec.CorruptEntryException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return SpoolEntryCodec.readMeta((position, length) -> DurableFiles.read(ch, position, length), 0, ch.size());
        }
    }

    /**
     * A dead letter with its body opened, to requeue it; empty when there is none (or it was unreadable: then it is
     * quarantined). Call in turn.
     *
     * @throws IllegalStateException when its body was deleted after the retention
     */
    Optional<SpoolEntryCodec.Decoded> load(String id, BodyCipher cipher) throws IOException {
        Path dead = path(id);
        try {
            SpoolEntryCodec.Meta meta = readMeta(dead);
            if (meta.bodyDeleted()) {
                throw Spool.bodyDeleted(id);
            }
            SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(Files.readAllBytes(dead), cipher);
            if (d.meta().deadLetter() == null) {
                throw new SpoolEntryCodec.CorruptEntryException("a queued entry in the dead-letter directory");
            }
            return Optional.of(d);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            quarantine(id, dead, e.getMessage());
            return Optional.empty();
        }
    }

    /** Deletes a requeued dead letter once its queued copy is durable. Call in turn. */
    void requeued(String id) throws IOException {
        Files.delete(path(id));
        removed();
    }

    /** Deletes a dead letter, readable or not. @return its record, or empty when there was none */
    Optional<DeadLetter> purge(String id) {
        synchronized (turns) {
            Path dead = path(id);
            DeadLetter letter;
            try {
                letter = readMeta(dead).deadLetter();
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                letter = null; // Unreadable: purged all the same, as asked.
            } catch (IOException e) {
                throw SpoolException.of(root, "cannot read dead letter " + id, e, "");
            }
            try {
                if (!Files.deleteIfExists(dead)) {
                    return Optional.empty();
                }
            } catch (IOException e) {
                throw SpoolException.of(root, "cannot delete dead letter " + id, e, "");
            }
            removed();
            return Optional.of(letter != null ? letter : new DeadLetter(id, "", List.of(), "", "",
                    FailureCategory.PROTOCOL, "", "the dead letter was unreadable", DeadLetter.Reason.REJECTED, 0,
                    Instant.EPOCH, Instant.EPOCH));
        }
    }
}
