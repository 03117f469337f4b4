package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.queue.GroupCommit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The spool as files in one directory, written with a commit protocol that survives a crash at any moment. The
 * right spool for Jenkins (JENKINS_HOME persists) and any single process.
 *
 * <p><b>Guarantees.</b> {@link #store} returns only after its mail is durable: the mails of all concurrent stores
 * are written together ({@link GroupCommit}) and forced to disk before any of them returns: appended as one chunk
 * to the open batch file (a segment) and fdatasynced, or, when a new segment starts, written to {@code tmp/},
 * fsynced, renamed atomically into {@code queue/}, and {@code queue/} fsynced. So an acknowledged mail survives a
 * killed process and a power loss, and a lone store costs one such cycle while sixteen concurrent ones share one;
 * an append cut short by a crash was never acknowledged, and recovery skips it ({@link BatchFiles}). A retry writes
 * the mail's new state the same way (never into the batch file it was claimed from) before the old copy is given
 * up. A delivered mail is marked done in its batch file (one byte rewritten in place, without an fsync), and the
 * batch file is deleted when all its mails are done: after a power
 * loss (not a killed process) mail delivered in the last seconds may be delivered again, with the same Message-ID. Only an
 * index stays in memory (id, due time, attempts, size, location: about 280 bytes per mail); bodies are read when a
 * mail is claimed, except from the handoff below. Entries that cannot be read are copied to {@code quarantine/} with a
 * {@code .reason.txt} beside them, never deleted.
 *
 * <p><b>The handoff.</b> A mail this spool stored a few milliseconds before its claim is still in memory: the
 * claim takes it from there ({@link RecentEntries}: the message and its rendered bytes as {@link #store} was given
 * them, 0 attempts, due and first submitted at the store's millisecond) instead of reading the entry back, unsealing
 * and decoding it. Only the read is skipped: the entry is claimed in the index like any other, and stored, marked
 * done, rewritten for a retry and recovered exactly as without the handoff; only this process's stores enter it
 * ({@code spool.lock} keeps other processes out of the directory), never recovered or requeued entries, and an entry
 * leaves it when claimed, completed, deferred or dead-lettered, and when the spool closes. Bounded to 256 mails and
 * 1 MiB of rendered bytes and message content; a full handoff keeps no more until claims make room, and a mail it
 * did not keep is read from disk when claimed. One consequence: a mail damaged on disk between its store and its
 * claim in the same run is sent as it was submitted; the damage is found if the mail is retried or read after a
 * restart (docs/architecture.md, "The handoff of just-stored mail").
 *
 * <p><b>At rest.</b> Mail bodies carry reset and action links. The directories are 0700 and the files 0600
 * ({@link SpoolPermissions}, checked and tightened at open); with a {@link BodyCipher} that has a key, bodies are
 * sealed (AES-GCM) before they are written. A batch file whose mails are all done is deleted, or zeroed before it is
 * kept as a spare, so no file holds a delivered mail once its batch is retired. {@link #deleteBodies} removes the
 * bodies of dead letters and quarantined entries after their retention.
 *
 * <p><b>Layout.</b>
 * <pre>
 * spool.lock            held while a process uses the spool: a second process gets a clear error
 * tmp/NAME.tmp          files being written (deleted on recovery), and finished batch files kept to be overwritten
 * queue/BATCH.batch     queued mail: a segment of group commits, each of one or more entries with a live/done
 *                       byte ({@link SpoolEntryCodec}); appended to until it holds 1 MiB or a mail of it is sent
 * dead/ID.msg           dead letters, one entry each, with the dead-letter record in the meta
 * quarantine/NAME.msg   unreadable entries, with NAME.msg.reason.txt
 * </pre>
 * IDs sort by submission time: {@code 12 hex digits of epoch millis - 14 hex digits}.
 *
 * <p><b>Parts.</b> This class is the facade that keeps them in step and holds the lifecycle: {@link SpoolIndex} (what
 * is queued, in memory, no I/O), {@link BatchFiles} (queue/), {@link SpoolRecovery}, {@link DeadLetterStore} (dead/),
 * {@link Quarantine} (quarantine/), {@link DurableFiles} (fsync, atomic rename, owner-only files), and
 * {@link SpoolEntryCodec}, the only place the format is read and written. After {@link #close} nothing changes a file:
 * the next spool may already use the directory (docs/architecture.md, "The file spool").
 *
 * <pre>{@code
 * Spool spool = FileSpool.open(jenkinsHome.resolve("outbound-relay/spool"));
 * MailQueue queue = MailQueue.builder().relay(settings).spool(spool).build();
 * }</pre>
 */
public final class FileSpool implements Spool {
    public static final long DEFAULT_MAX_MESSAGES = 1_000_000;
    public static final long DEFAULT_MAX_BYTES = 4L << 30;
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    /** Writes a temporary file completely and forces it to disk. A seam for tests of a failing disk. */
    @FunctionalInterface
    interface EntryWriter extends DurableFiles.Writer {
        EntryWriter FORCED = DurableFiles::writeAndForce;
    }

    /** Where an entry is stored: for tests that damage it. */
    public record EntryLocation(Path file, long offset, int length) {
    }

    private final Path root;
    private final BodyCipher cipher;
    private final SpoolIds ids = new SpoolIds();
    private final AtomicLong versions = new AtomicLong();
    private final SpoolIndex index;
    private final Quarantine quarantine;
    private final DeadLetterStore deadLetters;
    private final BatchFiles batches;
    private final SpoolRecovery recovery;
    private final GroupCommit commit;
    private final RecentEntries recent;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /**
     * Every change of the files holds its read lock, {@link #close} its write lock: close waits for the changes under
     * way and refuses later ones, so nothing is written, moved or deleted once it returned.
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed; // written under the lifecycle's write lock
    private volatile boolean recovered; // written under this
    private volatile Consumer<String> beforeRetire = name -> { }; // a seam for race tests

    private FileSpool(Path root, long maxMessages, long maxBytes, DurableFiles.Writer writer, BodyCipher cipher,
                      RecentEntries recent) {
        this.root = root.toAbsolutePath();
        Path queueDir = this.root.resolve("queue");
        Path deadDir = this.root.resolve("dead");
        Path quarantineDir = this.root.resolve("quarantine");
        Path tmpDir = this.root.resolve("tmp");
        this.cipher = cipher;
        this.recent = recent;
        DurableFiles files = new DurableFiles(tmpDir, writer);
        this.index = new SpoolIndex(this.root, maxMessages, maxBytes);
        this.quarantine = new Quarantine(this.root, quarantineDir);
        this.deadLetters = new DeadLetterStore(this.root, deadDir, files, quarantine);
        this.batches = new BatchFiles(this.root, queueDir, tmpDir, files, ids);
        this.recovery = new SpoolRecovery(this.root, tmpDir, batches, deadLetters, quarantine);
        this.commit = new GroupCommit(this::writeGroup);
        try {
            for (Path dir : List.of(queueDir, deadDir, quarantineDir, tmpDir)) {
                SpoolPermissions.createDirectories(dir);
            }
        } catch (IOException e) {
            throw failure("cannot be created", e, "");
        }
        try {
            Path lockFile = this.root.resolve("spool.lock");
            lockChannel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    SpoolPermissions.privateFile(lockFile));
        } catch (IOException e) {
            throw failure("cannot be opened", e, "");
        }
        FileLock acquired;
        try {
            acquired = lockChannel.tryLock();
        } catch (OverlappingFileLockException | IOException e) {
            acquired = null;
        }
        if (acquired == null) {
            DurableFiles.closeQuietly(lockChannel);
            throw new SpoolException(this.root, "is in use by another queue (spool.lock is held)",
                    "Give each process or queue its own spool directory, or stop the other one first", null);
        }
        lock = acquired;
        try {
            SpoolPermissions.secure(this.root); // Holding the lock: nobody else writes here meanwhile.
        } catch (SpoolException e) {
            close();
            throw e;
        }
        Path probe = tmpDir.resolve("write-probe-" + ids.next(System.currentTimeMillis()) + ".tmp");
        try {
            writer.write(probe, new byte[] {0});
            Files.deleteIfExists(probe);
        } catch (IOException e) {
            DurableFiles.deleteQuietly(probe);
            close();
            throw failure("cannot be written", e, "");
        }
    }

    /**
     * Opens (creating if needed) the spool in {@code directory}, limited to {@value #DEFAULT_MAX_MESSAGES} mails and
     * 4 GiB.
     *
     * @throws SpoolException when the directory cannot be created or written, or another process uses it
     */
    public static FileSpool open(Path directory) {
        return open(directory, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES);
    }

    /**
     * Opens the spool with its own limits: {@link #store} refuses mail beyond them with a {@link SpoolException}, so
     * a relay that is down for days fills the spool, not the disk.
     */
    public static FileSpool open(Path directory, long maxMessages, long maxBytes) {
        return open(directory, maxMessages, maxBytes, BodyCipher.NONE);
    }

    /**
     * Opens the spool with bodies sealed by {@code cipher} (see {@link BodyCipher}); bodies stored unsealed before
     * stay readable.
     */
    public static FileSpool open(Path directory, BodyCipher cipher) {
        return open(directory, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES, cipher);
    }

    /** Opens the spool with its own limits and bodies sealed by {@code cipher}. */
    public static FileSpool open(Path directory, long maxMessages, long maxBytes, BodyCipher cipher) {
        return open(directory, maxMessages, maxBytes, EntryWriter.FORCED, cipher);
    }

    static FileSpool open(Path directory, long maxMessages, long maxBytes, EntryWriter writer) {
        return open(directory, maxMessages, maxBytes, writer, BodyCipher.NONE);
    }

    static FileSpool open(Path directory, long maxMessages, long maxBytes, EntryWriter writer, BodyCipher cipher) {
        return open(directory, maxMessages, maxBytes, writer, cipher,
                new RecentEntries(RecentEntries.DEFAULT_MAX_ENTRIES, RecentEntries.DEFAULT_MAX_BYTES));
    }

    /** With a handoff of its own bounds: for tests of what is claimed from memory and what is read back. */
    static FileSpool open(Path directory, BodyCipher cipher, RecentEntries recent) {
        return open(directory, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_BYTES, EntryWriter.FORCED, cipher, recent);
    }

    private static FileSpool open(Path directory, long maxMessages, long maxBytes, EntryWriter writer, BodyCipher cipher,
                                  RecentEntries recent) {
        if (maxMessages < 1) {
            throw new InvalidInputException("spoolMaxMessages", "is " + maxMessages, "Allow at least one message; the default is " + DEFAULT_MAX_MESSAGES);
        }
        if (maxBytes < 1024) {
            throw new InvalidInputException("spoolMaxBytes", "is " + maxBytes, "Allow at least 1 KiB; the default is 4 GiB");
        }
        return new FileSpool(directory, maxMessages, maxBytes, writer, Objects.requireNonNull(cipher, "cipher"), recent);
    }

    /** The spool's directory. */
    public Path directory() {
        return root;
    }

    @Override
    public int recover(QuarantineListener listener) {
        Change change = changing();
        try {
            synchronized (this) {
                if (recovered) {
                    throw new IllegalStateException("the spool " + root + " was already recovered");
                }
                recovered = true;
            }
            quarantine.listener(listener);
            SpoolRecovery.Result found;
            try {
                found = recovery.read();
            } catch (IOException e) {
                throw failure("cannot be read", e, "");
            }
            versions.set(found.maxVersion());
            index.load(found.liveCounts(), found.mails());
            recovery.tidy(found);
            return found.mails().size();
        } finally {
            change.end();
        }
    }

    @Override
    public String store(OutboundMessage message, Instant now) {
        return store(message, null, now);
    }

    @Override
    public String store(OutboundMessage message, byte[] rendered, Instant now) {
        Change change = changing();
        try {
            checkRecovered();
            long millis = now.toEpochMilli();
            String id = ids.next(millis);
            byte[] body = cipher.seal(SpoolEntryCodec.encodeBody(message, rendered), SpoolEntryCodec.associatedData(id));
            byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(), millis, millis, 0,
                    "", null), body);
            index.reserve(entry.length);
            GroupCommit.Location location;
            try {
                location = commit.commit(entry);
            } catch (IOException e) {
                index.unreserve(entry.length);
                throw failure("could not store the mail", e, " The mail was not queued.");
            }
            // Durable now. Handed over before the index shows the entry, so no claim can read it back first and
            // leave a stale copy here. The same state a read-back gives: millis, no attempts, no failure.
            Instant stored = Instant.ofEpochMilli(millis);
            recent.put(new Entry(id, message, 0, stored, stored, "", rendered));
            index.add(id, millis, millis, entry.length, location);
            return id;
        } finally {
            change.end();
        }
    }

    @Override
    public List<Entry> claimDue(Instant now, int max) {
        Change change = changing();
        try {
            checkRecovered();
            long millis = now.toEpochMilli();
            List<Entry> entries = new ArrayList<>();
            // Claimed in the index first, always: the handoff only saves the read of an entry this spool claimed.
            for (SpoolIndex.Copy copy : index.claimDue(millis, max)) {
                batches.noMoreAppends(copy.batch());
                Entry handedOver = recent.take(copy.id());
                if (handedOver != null) {
                    entries.add(handedOver);
                    continue;
                }
                try {
                    SpoolEntryCodec.Decoded d = readEntry(copy, true);
                    SpoolEntryCodec.Meta m = d.meta();
                    entries.add(new Entry(copy.id(), d.message(), m.attempts(), Instant.ofEpochMilli(m.firstSubmittedMillis()),
                            Instant.ofEpochMilli(m.dueMillis()), m.lastFailure(), d.rendered()));
                } catch (SpoolEntryCodec.CorruptEntryException e) {
                    quarantineCopy(copy, e.getMessage());
                } catch (NoSuchFileException e) {
                    release(copy.id());
                    quarantine.report(copy.id(), e.getFile(), "the batch file was removed from outside the queue");
                } catch (IOException | RuntimeException e) {
                    // A read error (EIO), or the key store out of reach: leave the entry alone and try again in a
                    // minute rather than in a tight loop.
                    LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot read entry " + copy.id() + " (" + e
                            + "); trying again in 60 s");
                    index.retryLater(copy, millis + 60_000);
                }
            }
            return entries;
        } finally {
            change.end();
        }
    }

    @Override
    public void complete(String id) {
        Change change = changing();
        try {
            recent.remove(id);
            release(id);
        } finally {
            change.end();
        }
    }

    @Override
    public void defer(String id, int attempts, Instant due, String lastFailure) {
        Change change = changing();
        try {
            recent.remove(id); // Its state changes: a later claim reads the new one.
            SpoolIndex.Copy copy = index.copyOf(id);
            if (copy == null) {
                return;
            }
            GroupCommit.Location location = null;
            IOException failure = null;
            int newSize = copy.size();
            try {
                SpoolEntryCodec.Decoded d = readEntry(copy, false);
                byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(),
                        d.meta().firstSubmittedMillis(), due.toEpochMilli(), attempts, lastFailure, null), d.bodyBytes());
                location = commit.commit(entry);
                newSize = entry.length;
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                quarantineCopy(copy, e.getMessage());
                return;
            } catch (IOException e) {
                failure = e; // The old copy stays; only this attempt's count and due time are not on disk.
            }
            SpoolIndex.Retirement old = index.deferred(copy, location, newSize, due.toEpochMilli(), attempts);
            if (old != null) {
                retire(old);
            }
            if (failure != null) {
                throw failure("could not record a retry for " + id, failure, " The mail stays queued.");
            }
        } finally {
            change.end();
        }
    }

    @Override
    public void deadLetter(String id, DeadLetter letter) {
        Change change = changing();
        try {
            recent.remove(id);
            SpoolIndex.Copy copy = index.copyOf(id);
            if (copy == null) {
                return;
            }
            try {
                SpoolEntryCodec.Decoded d = readEntry(copy, false);
                deadLetters.write(id, SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(),
                        d.meta().firstSubmittedMillis(), d.meta().dueMillis(), letter.attempts(), d.meta().lastFailure(),
                        letter), d.bodyBytes()));
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                quarantineCopy(copy, e.getMessage());
                return;
            } catch (IOException e) {
                // The entry stays queued and claimed: the caller defers it instead.
                throw failure("could not move " + id + " to the dead letters", e, " The mail stays queued.");
            }
            release(id);
            deadLetters.added();
        } finally {
            change.end();
        }
    }

    @Override
    public Optional<Instant> nextDue() {
        return index.nextDue();
    }

    @Override
    public Depth depth() {
        return index.depth(deadLetters.count());
    }

    @Override
    public List<DeadLetter> deadLetters(int limit) {
        Change change = changing(); // an unreadable dead letter is moved to quarantine/
        try {
            return deadLetters.list(limit);
        } catch (IOException e) {
            throw failure("cannot list the dead letters", e, "");
        } finally {
            change.end();
        }
    }

    @Override
    public Optional<DeadLetter> requeueDeadLetter(String id, Instant now) {
        SpoolIds.check(id);
        Change change = changing();
        try {
            synchronized (deadLetters.turns) {
                SpoolEntryCodec.Decoded d;
                try {
                    Optional<SpoolEntryCodec.Decoded> loaded = deadLetters.load(id, cipher);
                    if (loaded.isEmpty()) {
                        return Optional.empty();
                    }
                    d = loaded.get();
                } catch (IOException e) {
                    throw failure("cannot read dead letter " + id, e, "");
                }
                byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(),
                        now.toEpochMilli(), now.toEpochMilli(), 0, "", null), d.bodyBytes());
                index.reserve(entry.length);
                GroupCommit.Location location;
                try {
                    location = commit.commit(entry);
                    // If we crash before this delete, recovery keeps the dead letter and drops the copy: requeue again.
                    deadLetters.requeued(id);
                } catch (IOException e) {
                    index.unreserve(entry.length);
                    throw failure("could not requeue dead letter " + id, e, " It stays a dead letter.");
                }
                index.add(id, now.toEpochMilli(), now.toEpochMilli(), entry.length, location);
                return Optional.of(d.meta().deadLetter());
            }
        } finally {
            change.end();
        }
    }

    @Override
    public Optional<DeadLetter> purgeDeadLetter(String id) {
        SpoolIds.check(id);
        Change change = changing();
        try {
            return deadLetters.purge(id);
        } finally {
            change.end();
        }
    }

    /**
     * Deletes the bodies of dead letters given up before {@code before} (each is rewritten without its body, keeping
     * its dead-letter record) and the bytes of entries quarantined before it (their {@code .reason.txt} stays and
     * says so).
     */
    @Override
    public int deleteBodies(Instant before) {
        Change change = changing();
        try {
            checkRecovered();
            return deadLetters.deleteBodies(before) + quarantine.deleteBodies(before);
        } catch (IOException e) {
            throw failure("cannot delete the bodies of old dead letters and quarantined entries", e, "");
        } finally {
            change.end();
        }
    }

    /**
     * Waits for the changes under way, then refuses every later one with an {@link IllegalStateException} and
     * releases the directory: from here on this spool changes no file, whoever calls it.
     */
    @Override
    public void close() {
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException("the spool " + root + " cannot be closed from inside one of its own calls");
        }
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        recent.clear();
        batches.close();
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            // The lock goes with the channel.
        }
        DurableFiles.closeQuietly(lockChannel);
    }

    @Override
    public String toString() {
        return "FileSpool[" + root + "]";
    }

    /** Group-commit figures since this spool was opened, for benchmarks and diagnostics. */
    public Statistics statistics() {
        long[] counts = commit.counts();
        long[] claims = recent.counts();
        return new Statistics(counts[0], counts[1], claims[0], claims[1]);
    }

    /**
     * How well group commit batches (each batch file costs one fsync of the file and one of the directory), and how
     * many claims the handoff saved a read.
     *
     * @param batchFiles batch files written since the spool was opened
     * @param mails mails committed in them
     * @param claimedFromMemory entries claimed from the handoff of just-stored mail, not read back
     * @param claimedFromDisk entries claimed by reading them back (recovered, retried, or dropped from the handoff)
     */
    public record Statistics(long batchFiles, long mails, long claimedFromMemory, long claimedFromDisk) {
        /** Mails per batch file, that is per fsync; 0 before the first commit. */
        public double mailsPerBatch() {
            return batchFiles == 0 ? 0 : mails / (double) batchFiles;
        }
    }

    /** Where the current copy of a queued entry is. */
    public EntryLocation locate(String id) {
        SpoolIndex.Copy copy = index.copyOf(id);
        return copy == null ? null : locationOf(copy);
    }

    /** Runs {@code hook} with the batch's name after the index let go of an entry, before its batch file is touched. */
    void beforeRetire(Consumer<String> hook) {
        beforeRetire = hook;
    }

    private EntryLocation locationOf(SpoolIndex.Copy copy) {
        return new EntryLocation(batches.path(copy.batch()), copy.offset(), copy.size());
    }

    /**
     * The group commit's writer: appends the group to the open segment when there is one and it still counts live
     * mail, else starts a new segment. Either way the index counts the group's entries before their callers wake.
     */
    private String writeGroup(List<byte[]> entries, long[] offsets) throws IOException {
        String segment = batches.appendable();
        if (segment != null && index.grow(segment, entries.size())) {
            try {
                batches.append(segment, entries, offsets);
                return segment;
            } catch (IOException | RuntimeException e) {
                SpoolIndex.Retirement r = index.shrink(segment, entries.size());
                if (r != null) {
                    retire(r);
                }
                throw e;
            }
        }
        String created = batches.write(entries, offsets);
        index.created(created, entries.size());
        return created;
    }

    /** Forgets an entry (delivered, dead-lettered, quarantined) and marks it done in its batch. */
    private void release(String id) {
        SpoolIndex.Retirement r = index.remove(id);
        if (r != null) {
            retire(r);
        }
    }

    private void retire(SpoolIndex.Retirement r) {
        beforeRetire.accept(r.batch().name);
        batches.retire(r);
    }

    /** Copies an unreadable entry to quarantine (its batch keeps the others) and forgets it. */
    private void quarantineCopy(SpoolIndex.Copy copy, String reason) {
        quarantine.copy(copy.id(), batches.path(copy.batch()), copy.offset(), copy.size(), reason);
        release(copy.id());
    }

    /**
     * Reads and checks a queued entry; with {@code openBody} false the body's checksum is checked but it is not
     * opened (no key needed): enough to write the entry again with a new meta.
     */
    private SpoolEntryCodec.Decoded readEntry(SpoolIndex.Copy copy, boolean openBody)
            throws IOException, SpoolEntryCodec.CorruptEntryException {
        ByteBuffer bytes = batches.read(copy.batch(), copy.offset(), copy.size());
        if (bytes.remaining() != copy.size()) {
            throw new SpoolEntryCodec.CorruptEntryException("batch file ends inside the entry");
        }
        SpoolEntryCodec.Decoded d = openBody ? SpoolEntryCodec.decode(bytes.array(), cipher)
                : SpoolEntryCodec.decodeStored(bytes.array());
        if (!d.meta().id().equals(copy.id())) {
            throw new SpoolEntryCodec.CorruptEntryException("found entry " + d.meta().id() + " where " + copy.id() + " should be");
        }
        return d;
    }

    private void checkRecovered() {
        if (!recovered) {
            throw new IllegalStateException("recover the spool " + root + " before using it");
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("the spool " + root + " is closed: it no longer changes its files (a send that "
                + "outlived its queue leaves its mail to the next queue, which sends it again)");
    }

    private SpoolException failure(String action, IOException e, String consequence) {
        return SpoolException.of(root, action, e, consequence);
    }

    /** Enters a change of the files, refused once closed; the caller ends it when done. */
    private Change changing() {
        Lock open = lifecycle.readLock();
        open.lock();
        if (closed) {
            open.unlock();
            throw closedError();
        }
        return new Change(open);
    }

    /**
     * A change of the files under way. The thread's interrupt is set aside until it ends: an interrupted thread's
     * file channel closes itself mid-write (ClosedByInterruptException), and a queue shutting down interrupts its
     * senders while they may be marking a mail done or writing a retry.
     */
    private static final class Change {
        private final Lock open;
        private final boolean interrupted = Thread.interrupted();

        Change(Lock open) {
            this.open = open;
        }

        void end() {
            open.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
