package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.queue.GroupCommit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The spool as files in one directory, written with a commit protocol that survives a crash at any moment. The
 * right spool for Jenkins (JENKINS_HOME persists) and any single process.
 *
 * <p><b>Guarantees.</b> {@link #store} returns only after its mail is durable: the mails of all concurrent stores
 * are written as one batch file to {@code tmp/}, fsynced, renamed atomically into {@code queue/}, and
 * {@code queue/} is fsynced ({@link GroupCommit}), so an acknowledged mail survives a killed process and a power
 * loss, and a lone store costs one such cycle while sixteen concurrent ones share one. A retry writes the mail's new
 * state the same way before the old copy is given up. A delivered mail is marked done in its batch file (one byte
 * rewritten in place, without an fsync), and the batch file is deleted when all its mails are done: after a power
 * loss (not a killed process) mail delivered in the last seconds may be delivered again, with the same Message-ID. Only an
 * index stays in memory (id, due time, attempts, size, location: about 280 bytes per mail); bodies are read when a
 * mail is claimed. Entries that cannot be read are copied to {@code quarantine/} with a {@code .reason.txt} beside
 * them, never deleted.
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
 * queue/BATCH.batch     queued mail, one or more entries, each with a live/done byte ({@link SpoolEntryCodec})
 * dead/ID.msg           dead letters, one entry each, with the dead-letter record in the meta
 * quarantine/NAME.msg   unreadable entries, with NAME.msg.reason.txt
 * </pre>
 * IDs sort by submission time: {@code 12 hex digits of epoch millis - 14 hex digits}.
 *
 * <pre>{@code
 * Spool spool = FileSpool.open(jenkinsHome.resolve("outbound-relay/spool"));
 * MailQueue queue = MailQueue.builder().relay(settings).spool(spool).build();
 * }</pre>
 */
public final class FileSpool implements Spool {
    public static final long DEFAULT_MAX_MESSAGES = 1_000_000;
    public static final long DEFAULT_MAX_BYTES = 4L << 30;

    static final String BATCH = ".batch";
    static final int MAX_SPARES = 64;
    /** Larger finished batches are deleted, not kept: spares cost at most 64 x 256 KiB of disk. */
    static final long MAX_SPARE_BYTES = 256 << 10;
    static final String ENTRY = ".msg";
    private static final byte[] ZEROS = new byte[(int) MAX_SPARE_BYTES];
    private static final Pattern ID = Pattern.compile("[0-9a-f]{12}-[0-9a-f]{14}");
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    /** Writes a temporary file completely and forces it to disk. A seam for tests of a failing disk. */
    @FunctionalInterface
    interface EntryWriter {
        EntryWriter FORCED = FileSpool::writeAndForce;

        void write(Path file, byte[] bytes) throws IOException;
    }

    /** A batch file and how many of its entries are still the current copy of a queued mail. */
    private static final class Batch {
        final String name;
        int live; // guarded by the spool

        Batch(String name, int live) {
            this.name = name;
            this.live = live;
        }
    }

    /** One queued mail in the index. Fields other than id and firstMillis change only under the spool's lock. */
    private static final class Item {
        final String id;
        final long firstMillis;
        long dueMillis;
        int attempts;
        int size;
        boolean claimed;
        Batch batch;
        long offset;

        Item(String id, long firstMillis, long dueMillis, int attempts, int size, Batch batch, long offset) {
            this.id = id;
            this.firstMillis = firstMillis;
            this.dueMillis = dueMillis;
            this.attempts = attempts;
            this.size = size;
            this.batch = batch;
            this.offset = offset;
        }
    }

    /** Where an entry is stored: for tests that damage it. */
    public record EntryLocation(Path file, long offset, int length) {
    }

    private final Path root;
    private final Path queueDir;
    private final Path deadDir;
    private final Path quarantineDir;
    private final Path tmpDir;
    private final long maxMessages;
    private final long maxBytes;
    private final EntryWriter writer;
    private final BodyCipher cipher;
    private final GroupCommit commit;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final IdGenerator ids = new IdGenerator();
    private final AtomicLong versions = new AtomicLong();
    private final Object deadLetterLock = new Object();
    private final FileChannelCache batchFiles = new FileChannelCache(8, StandardOpenOption.READ, StandardOpenOption.WRITE);
    private final java.util.ArrayDeque<Path> spares = new java.util.ArrayDeque<>(); // guarded by itself

    // Guarded by this.
    private final Map<String, Item> items = new HashMap<>();
    private final Map<String, Batch> batches = new HashMap<>();
    private final TreeSet<Item> ready = new TreeSet<>(Comparator.<Item>comparingLong(i -> i.dueMillis).thenComparing(i -> i.id));
    private long reservedMessages;
    private long reservedBytes;
    private long deadLetters;
    private boolean recovered;
    private volatile boolean closed; // written under this; read without it by markDone and deleteBatch
    private volatile QuarantineListener quarantine = QuarantineListener.NONE;

    private FileSpool(Path root, long maxMessages, long maxBytes, EntryWriter writer, BodyCipher cipher) {
        this.root = root.toAbsolutePath();
        this.queueDir = this.root.resolve("queue");
        this.deadDir = this.root.resolve("dead");
        this.quarantineDir = this.root.resolve("quarantine");
        this.tmpDir = this.root.resolve("tmp");
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.writer = writer;
        this.cipher = cipher;
        this.commit = new GroupCommit(this::writeBatch);
        try {
            for (Path dir : List.of(queueDir, deadDir, quarantineDir, tmpDir)) {
                SpoolPermissions.createDirectories(dir);
            }
        } catch (IOException e) {
            throw failure("cannot be created", e, "");
        }
        try {
            Path lockFile = this.root.resolve("spool.lock");
            lockChannel = FileChannel.open(lockFile, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
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
            closeQuietly(lockChannel);
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
            deleteQuietly(probe);
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
        if (maxMessages < 1) {
            throw new InvalidInputException("spoolMaxMessages", "is " + maxMessages, "Allow at least one message; the default is " + DEFAULT_MAX_MESSAGES);
        }
        if (maxBytes < 1024) {
            throw new InvalidInputException("spoolMaxBytes", "is " + maxBytes, "Allow at least 1 KiB; the default is 4 GiB");
        }
        return new FileSpool(directory, maxMessages, maxBytes, writer, java.util.Objects.requireNonNull(cipher, "cipher"));
    }

    /** The spool's directory. */
    public Path directory() {
        return root;
    }

    /** A candidate found by recovery: one stored copy of an entry. */
    private record Found(SpoolEntryCodec.Meta meta, String batch, long offset, int length) {
    }

    @Override
    public int recover(QuarantineListener listener) {
        synchronized (this) {
            checkOpen();
            if (recovered) {
                throw new IllegalStateException("the spool " + root + " was already recovered");
            }
            recovered = true;
        }
        this.quarantine = listener == null ? QuarantineListener.NONE : listener;
        long maxVersion = 0;
        Set<String> dead = new HashSet<>();
        List<Path> batchPaths = new ArrayList<>();
        try {
            for (Path p : list(tmpDir, "*")) {
                // A write that never reached its rename was never acknowledged: garbage. Spares of the last run go
                // too: a crash (or an older version) may have left one holding the bodies of its delivered mail.
                deleteQuietly(p);
            }
            for (Path p : list(deadDir, "*" + ENTRY)) {
                dead.add(nameOf(p, ENTRY));
                try {
                    maxVersion = Math.max(maxVersion, readMetaOfEntryFile(p).version());
                } catch (SpoolEntryCodec.CorruptEntryException e) {
                    // Listed as it is; deadLetters() quarantines it when it is read.
                }
            }
            batchPaths.addAll(list(queueDir, "*" + BATCH));
        } catch (IOException e) {
            throw failure("cannot be read", e, "");
        }
        Map<String, Found> newest = new HashMap<>();
        List<Found> superseded = new ArrayList<>();
        for (Path file : batchPaths) {
            String batch = nameOf(file, BATCH);
            for (Found f : readBatch(file, batch)) {
                maxVersion = Math.max(maxVersion, f.meta().version());
                superseded.add(f);
                String id = f.meta().id();
                if (dead.contains(id)) {
                    continue;
                }
                Found other = newest.get(id);
                if (other == null || other.meta().version() < f.meta().version()) {
                    newest.put(id, f);
                }
            }
        }
        versions.set(maxVersion);
        Map<String, Integer> liveCounts = new HashMap<>();
        newest.values().forEach(f -> liveCounts.merge(f.batch(), 1, Integer::sum));
        synchronized (this) {
            liveCounts.forEach((name, live) -> batches.put(name, new Batch(name, live)));
            for (Found f : newest.values()) {
                SpoolEntryCodec.Meta m = f.meta();
                Item item = new Item(m.id(), m.firstSubmittedMillis(), m.dueMillis(), m.attempts(), f.length(),
                        batches.get(f.batch()), f.offset());
                items.put(item.id, item);
                ready.add(item);
                reservedMessages++;
                reservedBytes += item.size;
            }
            deadLetters = dead.size();
        }
        for (Path file : batchPaths) {
            String batch = nameOf(file, BATCH);
            if (!liveCounts.containsKey(batch)) {
                deleteBatch(batch); // Everything in it was delivered or moved.
            }
        }
        // Older copies of a retried mail, and copies of dead letters, are marked done now rather than at every start.
        Set<String> kept = new HashSet<>();
        newest.values().forEach(f -> kept.add(f.batch() + "@" + f.offset()));
        for (Found f : superseded) {
            if (!kept.contains(f.batch() + "@" + f.offset()) && liveCounts.containsKey(f.batch())) {
                markDone(f.batch(), f.offset());
            }
        }
        return newest.size();
    }

    /** Reads the index part of every entry of a batch file, quarantining what cannot be read. */
    private List<Found> readBatch(Path file, String batch) {
        List<Found> found = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = read(ch, 0, SpoolEntryCodec.BATCH_HEADER_LENGTH);
            if (head.remaining() < SpoolEntryCodec.BATCH_HEADER_LENGTH || head.getInt(0) != SpoolEntryCodec.BATCH_MAGIC) {
                quarantineBytes(batch, file, 0, size, "not a spool batch file (bad magic or truncated)");
                return found;
            }
            int count = head.getInt(4);
            long pos = SpoolEntryCodec.BATCH_HEADER_LENGTH;
            for (int i = 0; i < count; i++) {
                ByteBuffer prefix5 = read(ch, pos, SpoolEntryCodec.RECORD_PREFIX_LENGTH);
                int length = prefix5.remaining() == SpoolEntryCodec.RECORD_PREFIX_LENGTH ? prefix5.getInt(0) : -1;
                if (length < SpoolEntryCodec.HEADER_LENGTH || pos + SpoolEntryCodec.RECORD_PREFIX_LENGTH + length > size) {
                    quarantineBytes(batch + "-" + pos, file, pos, size - pos, "entry " + i + " of " + count
                            + " has an impossible length " + length + "; the rest of the batch is unreadable");
                    return found;
                }
                byte state = prefix5.get(4);
                long start = pos + SpoolEntryCodec.RECORD_PREFIX_LENGTH;
                pos = start + length;
                if (state != SpoolEntryCodec.LIVE) {
                    continue; // Delivered, moved or quarantined before the restart.
                }
                try {
                    ByteBuffer h = read(ch, start, SpoolEntryCodec.HEADER_LENGTH);
                    SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(h.array(), length);
                    byte[] prefix = new byte[SpoolEntryCodec.HEADER_LENGTH + header.metaLength()];
                    ByteBuffer metaBytes = read(ch, start, prefix.length);
                    metaBytes.get(prefix);
                    SpoolEntryCodec.Meta meta = SpoolEntryCodec.decodeMeta(header, prefix, SpoolEntryCodec.HEADER_LENGTH);
                    if (meta.deadLetter() != null || !ID.matcher(meta.id()).matches()) {
                        throw new SpoolEntryCodec.CorruptEntryException("not a queued entry: " + meta.id());
                    }
                    found.add(new Found(meta, batch, start, length));
                } catch (SpoolEntryCodec.CorruptEntryException e) {
                    quarantineBytes(batch + "-" + start, file, start, length, e.getMessage());
                    markDone(batch, start); // Quarantined once, not at every start.
                }
            }
        } catch (IOException e) {
            throw failure("cannot read " + file.getFileName(), e, "");
        }
        return found;
    }

    @Override
    public String store(OutboundMessage message, Instant now) {
        return store(message, null, now);
    }

    @Override
    public String store(OutboundMessage message, byte[] rendered, Instant now) {
        long millis = now.toEpochMilli();
        String id = ids.next(millis);
        byte[] body = cipher.seal(SpoolEntryCodec.encodeBody(message, rendered), SpoolEntryCodec.associatedData(id));
        byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(), millis, millis, 0, "", null),
                body);
        reserve(entry.length);
        GroupCommit.Location location;
        try {
            location = commit.commit(entry);
        } catch (IOException e) {
            unreserve(entry.length);
            throw failure("could not store the mail", e, " The mail was not queued.");
        }
        synchronized (this) {
            Item item = new Item(id, millis, millis, 0, entry.length, batchOf(location), location.offset());
            items.put(id, item);
            ready.add(item);
        }
        return id;
    }

    @Override
    public List<Entry> claimDue(Instant now, int max) {
        long millis = now.toEpochMilli();
        List<Item> picked = new ArrayList<>(Math.min(max, 64));
        synchronized (this) {
            checkRecovered();
            while (picked.size() < max && !ready.isEmpty() && ready.first().dueMillis <= millis) {
                Item item = ready.pollFirst();
                item.claimed = true;
                picked.add(item);
            }
        }
        List<Entry> entries = new ArrayList<>(picked.size());
        for (Item item : picked) {
            try {
                SpoolEntryCodec.Decoded d = readEntry(item, true);
                SpoolEntryCodec.Meta m = d.meta();
                entries.add(new Entry(item.id, d.message(), m.attempts(), Instant.ofEpochMilli(m.firstSubmittedMillis()),
                        Instant.ofEpochMilli(m.dueMillis()), m.lastFailure(), d.rendered()));
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                EntryLocation at = locationOf(item);
                quarantineBytes(item.id, at.file(), at.offset(), at.length(), e.getMessage());
                release(item.id);
            } catch (NoSuchFileException e) {
                release(item.id);
                notifyQuarantine(item.id, e.getFile(), "the batch file was removed from outside the queue");
            } catch (IOException | RuntimeException e) {
                // A read error (EIO), or the key store out of reach: leave the entry alone and try again in a minute
                // rather than in a tight loop.
                LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot read entry " + item.id + " (" + e
                        + "); trying again in 60 s");
                synchronized (this) {
                    item.claimed = false;
                    item.dueMillis = millis + 60_000;
                    ready.add(item);
                }
            }
        }
        return entries;
    }

    @Override
    public void complete(String id) {
        release(id);
    }

    @Override
    public void defer(String id, int attempts, Instant due, String lastFailure) {
        Item item;
        synchronized (this) {
            item = items.get(id);
        }
        if (item == null) {
            return;
        }
        GroupCommit.Location location = null;
        IOException failure = null;
        int newSize = item.size;
        try {
            SpoolEntryCodec.Decoded d = readEntry(item, false);
            byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(),
                    d.meta().firstSubmittedMillis(), due.toEpochMilli(), attempts, lastFailure, null), d.bodyBytes());
            location = commit.commit(entry);
            newSize = entry.length;
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            EntryLocation at = locationOf(item);
            quarantineBytes(id, at.file(), at.offset(), at.length(), e.getMessage());
            release(id);
            return;
        } catch (IOException e) {
            failure = e; // The old copy stays; only this attempt's count and due time are not on disk.
        }
        Batch old = null;
        boolean oldEmpty = false;
        long oldOffset = 0;
        synchronized (this) {
            if (items.get(id) == item) {
                ready.remove(item);
                if (location != null) {
                    old = item.batch;
                    oldOffset = item.offset;
                    old.live--;
                    oldEmpty = old.live == 0;
                    if (oldEmpty) {
                        batches.remove(old.name);
                    }
                    item.batch = batchOf(location);
                    item.offset = location.offset();
                    reservedBytes += newSize - item.size;
                    item.size = newSize;
                }
                item.dueMillis = due.toEpochMilli();
                item.attempts = attempts;
                item.claimed = false;
                ready.add(item);
            }
        }
        if (old != null) {
            retire(old, oldEmpty, oldOffset);
        }
        if (failure != null) {
            throw failure("could not record a retry for " + id, failure, " The mail stays queued.");
        }
    }

    @Override
    public void deadLetter(String id, DeadLetter letter) {
        Item item;
        synchronized (this) {
            item = items.get(id);
        }
        if (item == null) {
            return;
        }
        try {
            SpoolEntryCodec.Decoded d = readEntry(item, false);
            byte[] entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(),
                    d.meta().firstSubmittedMillis(), d.meta().dueMillis(), letter.attempts(), d.meta().lastFailure(),
                    letter), d.bodyBytes());
            writeDurably(deadDir, id + ENTRY, entry);
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            EntryLocation at = locationOf(item);
            quarantineBytes(id, at.file(), at.offset(), at.length(), e.getMessage());
            release(id);
            return;
        } catch (IOException e) {
            // The entry stays queued and claimed: the caller defers it instead.
            throw failure("could not move " + id + " to the dead letters", e, " The mail stays queued.");
        }
        release(id);
        synchronized (this) {
            deadLetters++;
        }
    }

    @Override
    public synchronized Optional<Instant> nextDue() {
        return ready.isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ready.first().dueMillis));
    }

    @Override
    public synchronized Depth depth() {
        long oldest = Long.MAX_VALUE;
        for (Item item : items.values()) {
            oldest = Math.min(oldest, item.firstMillis);
        }
        return new Depth(items.size(), items.isEmpty() ? null : Instant.ofEpochMilli(oldest), deadLetters);
    }

    @Override
    public List<DeadLetter> deadLetters(int limit) {
        List<Path> files;
        try {
            files = list(deadDir, "*" + ENTRY);
        } catch (IOException e) {
            throw failure("cannot list the dead letters", e, "");
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        List<DeadLetter> letters = new ArrayList<>();
        for (Path p : files) {
            if (letters.size() >= limit) {
                break;
            }
            try {
                SpoolEntryCodec.Meta meta = readMetaOfEntryFile(p);
                if (meta.deadLetter() == null || !meta.id().equals(nameOf(p, ENTRY))) {
                    throw new SpoolEntryCodec.CorruptEntryException("not the dead letter its name says");
                }
                letters.add(meta.deadLetter());
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                moveToQuarantine(nameOf(p, ENTRY), p, e.getMessage());
                synchronized (this) {
                    deadLetters--;
                }
            } catch (NoSuchFileException e) {
                // Purged while we listed.
            } catch (IOException e) {
                throw failure("cannot read dead letter " + p.getFileName(), e, "");
            }
        }
        return letters;
    }

    @Override
    public Optional<DeadLetter> requeueDeadLetter(String id, Instant now) {
        checkId(id);
        synchronized (deadLetterLock) {
            Path dead = deadDir.resolve(id + ENTRY);
            byte[] entry;
            DeadLetter letter;
            try {
                SpoolEntryCodec.Meta meta = readMetaOfEntryFile(dead);
                if (meta.bodyDeleted()) {
                    throw Spool.bodyDeleted(id);
                }
                SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(Files.readAllBytes(dead), cipher);
                letter = d.meta().deadLetter();
                if (letter == null) {
                    throw new SpoolEntryCodec.CorruptEntryException("a queued entry in the dead-letter directory");
                }
                entry = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, versions.incrementAndGet(), now.toEpochMilli(),
                        now.toEpochMilli(), 0, "", null), d.bodyBytes());
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                moveToQuarantine(id, dead, e.getMessage());
                synchronized (this) {
                    deadLetters--;
                }
                return Optional.empty();
            } catch (IOException e) {
                throw failure("cannot read dead letter " + id, e, "");
            }
            reserve(entry.length);
            GroupCommit.Location location;
            try {
                location = commit.commit(entry);
                // If we crash before this delete, recovery keeps the dead letter and drops the copy: requeue again.
                Files.delete(dead);
            } catch (IOException e) {
                unreserve(entry.length);
                throw failure("could not requeue dead letter " + id, e, " It stays a dead letter.");
            }
            synchronized (this) {
                deadLetters--;
                Item item = new Item(id, now.toEpochMilli(), now.toEpochMilli(), 0, entry.length, batchOf(location), location.offset());
                items.put(id, item);
                ready.add(item);
            }
            return Optional.of(letter);
        }
    }

    @Override
    public Optional<DeadLetter> purgeDeadLetter(String id) {
        checkId(id);
        synchronized (deadLetterLock) {
            Path dead = deadDir.resolve(id + ENTRY);
            DeadLetter letter;
            try {
                letter = readMetaOfEntryFile(dead).deadLetter();
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                letter = null; // Unreadable: purged all the same, as asked.
            } catch (IOException e) {
                throw failure("cannot read dead letter " + id, e, "");
            }
            try {
                if (!Files.deleteIfExists(dead)) {
                    return Optional.empty();
                }
            } catch (IOException e) {
                throw failure("cannot delete dead letter " + id, e, "");
            }
            synchronized (this) {
                deadLetters--;
            }
            return Optional.of(letter != null ? letter : new DeadLetter(id, "", java.util.List.of(), "", "",
                    FailureCategory.PROTOCOL, "", "the dead letter was unreadable", DeadLetter.Reason.REJECTED, 0,
                    Instant.EPOCH, Instant.EPOCH));
        }
    }

    /**
     * Deletes the bodies of dead letters given up before {@code before} (each is rewritten without its body, keeping
     * its dead-letter record) and the bytes of entries quarantined before it (their {@code .reason.txt} stays and
     * says so).
     */
    @Override
    public int deleteBodies(Instant before) {
        checkRecovered();
        int deleted = 0;
        try {
            synchronized (deadLetterLock) {
                for (Path p : list(deadDir, "*" + ENTRY)) {
                    deleted += deleteBodyOf(p, before) ? 1 : 0;
                }
            }
            for (Path p : list(quarantineDir, "*" + ENTRY)) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(before)) {
                    writeLine(reasonFile(p), "Its bytes were deleted after the retention of quarantined mail bodies.",
                            StandardOpenOption.APPEND);
                    Files.deleteIfExists(p);
                    deleted++;
                }
            }
        } catch (IOException e) {
            throw failure("cannot delete the bodies of old dead letters and quarantined entries", e, "");
        }
        return deleted;
    }

    private boolean deleteBodyOf(Path deadLetter, Instant before) throws IOException {
        SpoolEntryCodec.Meta meta;
        try {
            meta = readMetaOfEntryFile(deadLetter);
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            return false; // deadLetters() quarantines it when it lists it
        } catch (NoSuchFileException e) {
            return false; // purged meanwhile
        }
        if (meta.deadLetter() == null || meta.bodyDeleted() || !meta.deadLetter().deadLettered().isBefore(before)) {
            return false;
        }
        writeDurably(deadDir, deadLetter.getFileName().toString(), SpoolEntryCodec.encode(meta.withoutBody(), new byte[0]));
        return true;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        batchFiles.close();
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            // The lock goes with the channel.
        }
        closeQuietly(lockChannel);
    }

    @Override
    public String toString() {
        return "FileSpool[" + root + "]";
    }

    /** {batches written, entries written} by the group commit. */
    /** Group-commit figures since this spool was opened, for benchmarks and diagnostics. */
    public Statistics statistics() {
        long[] counts = commit.counts();
        return new Statistics(counts[0], counts[1]);
    }

    /**
     * How well group commit batches: each batch file costs one fsync of the file and one of the directory.
     *
     * @param batchFiles batch files written since the spool was opened
     * @param mails mails committed in them
     */
    public record Statistics(long batchFiles, long mails) {
        /** Mails per batch file, that is per fsync; 0 before the first commit. */
        public double mailsPerBatch() {
            return batchFiles == 0 ? 0 : mails / (double) batchFiles;
        }
    }

    /** Where the current copy of a queued entry is. */
    public synchronized EntryLocation locate(String id) {
        Item item = items.get(id);
        return item == null ? null : locationOf(item);
    }

    private EntryLocation locationOf(Item item) {
        return new EntryLocation(queueDir.resolve(item.batch.name + BATCH), item.offset, item.size);
    }

    /** The group commit's writer: tmp file (a recycled one when there is one), fsync, rename into queue/, fsync queue/. */
    private String writeBatch(List<byte[]> entries, long[] offsets) throws IOException {
        String name = ids.next(System.currentTimeMillis());
        byte[] file = SpoolEntryCodec.encodeBatch(entries, offsets);
        Path tmp;
        synchronized (spares) {
            tmp = spares.poll();
        }
        if (tmp == null) {
            tmp = tmpDir.resolve(name + ".tmp");
        }
        writeTemp(tmp, file);
        Path target = queueDir.resolve(name + BATCH);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try {
            forceDirectory(queueDir);
        } catch (IOException e) {
            deleteQuietly(target); // Not acknowledged: the callers see the error and keep their mail.
            throw e;
        }
        return name;
    }

    private void writeDurably(Path dir, String name, byte[] bytes) throws IOException {
        Path tmp = tmpDir.resolve(name + ".tmp");
        writeTemp(tmp, bytes);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir);
    }

    private synchronized Batch batchOf(GroupCommit.Location location) {
        // Every entry of a new batch starts live: it cannot be deleted before all its callers have registered.
        return batches.computeIfAbsent(location.batch(), name -> new Batch(name, location.batchSize()));
    }

    /** Forgets an entry (delivered, dead-lettered, quarantined) and marks it done in its batch. */
    private void release(String id) {
        Batch batch;
        boolean empty;
        long offset;
        synchronized (this) {
            Item item = items.remove(id);
            if (item == null) {
                return;
            }
            ready.remove(item);
            reservedMessages--;
            reservedBytes -= item.size;
            batch = item.batch;
            offset = item.offset;
            batch.live--;
            empty = batch.live == 0;
            if (empty) {
                batches.remove(batch.name);
            }
        }
        retire(batch, empty, offset);
    }

    /** Deletes a batch nobody needs, or marks the entry at {@code offset} in it done. */
    private void retire(Batch batch, boolean empty, long offset) {
        if (empty) {
            deleteBatch(batch.name);
        } else {
            markDone(batch.name, offset);
        }
    }

    /** Rewrites the state byte before the entry at {@code offset}; not fsynced (a lost mark means a resend). */
    private void markDone(String batch, long offset) {
        if (closed) {
            return; // A send that outlived the shutdown: resent after the restart (at-least-once).
        }
        try {
            batchFiles.write(queueDir.resolve(batch + BATCH), offset - 1, SpoolEntryCodec.DONE);
        } catch (IOException e) {
            // The mail went out; if the mark is lost it goes out again after a restart (at-least-once).
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot mark an entry of " + batch + " done (" + e + ")");
        }
    }

    /**
     * Removes a batch whose entries are all done. Up to {@value #MAX_SPARES} small ones are zeroed and moved to tmp/
     * to be overwritten by the next batches instead of deleted: on ext4, creating a file after many deletions costs
     * more CPU than its fsync (see docs/performance.md). Zeroed, because the mails in it were delivered and their
     * links must not outlive the batch; zeroing keeps the file's blocks, so the next batch still overwrites in place.
     * A spare is never read: it is overwritten whole and cut to size.
     */
    private void deleteBatch(String name) {
        Path file = queueDir.resolve(name + BATCH);
        batchFiles.evict(file);
        try {
            long size = Files.size(file);
            if (!closed && size <= MAX_SPARE_BYTES && spareCount() < MAX_SPARES) {
                // Moved first: a crash before the zeros leaves a spare, which recovery deletes, never a zeroed batch.
                Path spare = tmpDir.resolve("spare-" + name + ".tmp");
                Files.move(file, spare, StandardCopyOption.ATOMIC_MOVE);
                try {
                    zero(spare, size); // before it is offered: a writer may take it the moment it is
                } catch (IOException e) {
                    deleteQuietly(spare);
                    throw e;
                }
                synchronized (spares) {
                    if (spares.size() < MAX_SPARES && !closed) {
                        spares.add(spare);
                        return;
                    }
                }
                file = spare;
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot delete finished batch " + name + " (" + e + ")");
        }
    }

    private int spareCount() {
        synchronized (spares) {
            return spares.size();
        }
    }

    /** Overwrites a file's bytes with zeros, in place; not forced (a spare is zeroed again or deleted on recovery). */
    private static void zero(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.wrap(ZEROS, 0, (int) size);
            long position = 0;
            while (zeros.hasRemaining()) {
                position += ch.write(zeros, position);
            }
        }
    }

    /**
     * Reads and checks a queued entry; with {@code openBody} false the body's checksum is checked but it is not
     * opened (no key needed): enough to write the entry again with a new meta.
     */
    private SpoolEntryCodec.Decoded readEntry(Item item, boolean openBody) throws IOException, SpoolEntryCodec.CorruptEntryException {
        Path file;
        long offset;
        int size;
        synchronized (this) {
            file = queueDir.resolve(item.batch.name + BATCH);
            offset = item.offset;
            size = item.size;
        }
        ByteBuffer bytes = batchFiles.read(file, offset, size);
        if (bytes.remaining() != size) {
            throw new SpoolEntryCodec.CorruptEntryException("batch file ends inside the entry");
        }
        SpoolEntryCodec.Decoded d = openBody ? SpoolEntryCodec.decode(bytes.array(), cipher)
                : SpoolEntryCodec.decodeStored(bytes.array());
        if (!d.meta().id().equals(item.id)) {
            throw new SpoolEntryCodec.CorruptEntryException("found entry " + d.meta().id() + " where " + item.id + " should be");
        }
        return d;
    }

    private static SpoolEntryCodec.Meta readMetaOfEntryFile(Path p) throws IOException, SpoolEntryCodec.CorruptEntryException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer h = read(ch, 0, SpoolEntryCodec.HEADER_LENGTH);
            SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(java.util.Arrays.copyOf(h.array(), h.remaining()), size);
            ByteBuffer prefix = read(ch, 0, SpoolEntryCodec.HEADER_LENGTH + header.metaLength());
            return SpoolEntryCodec.decodeMeta(header, prefix.array(), SpoolEntryCodec.HEADER_LENGTH);
        }
    }

    /** Reads up to {@code length} bytes at {@code position}; the buffer's limit says how many there were. */
    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        buffer.flip();
        return buffer;
    }

    private synchronized void reserve(int bytes) {
        checkRecovered();
        if (reservedMessages + 1 > maxMessages) {
            throw new SpoolException(root, "is full: it holds " + reservedMessages + " mails, its limit",
                    "The mail was not queued. Mail is not leaving: check the queue metrics and the relay's health; "
                            + "or raise the limit (spoolMaxMessages)", null);
        }
        if (reservedBytes + bytes > maxBytes) {
            throw new SpoolException(root, "is full: " + reservedBytes + " of its " + maxBytes + " bytes are used",
                    "The mail was not queued. Mail is not leaving: check the queue metrics and the relay's health; "
                            + "or raise the limit (spoolMaxBytes)", null);
        }
        reservedMessages++;
        reservedBytes += bytes;
    }

    private synchronized void unreserve(int bytes) {
        reservedMessages--;
        reservedBytes -= bytes;
    }

    private void checkRecovered() {
        checkOpen();
        if (!recovered) {
            throw new IllegalStateException("recover the spool " + root + " before using it");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the spool " + root + " is closed");
        }
    }

    private static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new InvalidInputException("deadLetterId", "'" + id + "' is not a spool id",
                    "Copy the id from the dead-letter list, such as 0190f3c2a1b4-3f9a2c1d000001");
        }
    }

    private void writeTemp(Path tmp, byte[] bytes) throws IOException {
        try {
            writer.write(tmp, bytes);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Writes the whole file (over a recycled one, or a new one), cuts it to size and forces it to disk. */
    private static void writeAndForce(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                SpoolPermissions.privateFile(file))) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            long position = 0;
            while (buffer.hasRemaining()) {
                position += ch.write(buffer, position);
            }
            ch.truncate(bytes.length);
            ch.force(false);
        }
    }

    /** Makes renames into {@code dir} durable. Windows cannot open a directory, and needs no such sync. */
    private static void forceDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw e;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** Copies unreadable bytes aside (the batch keeps its other entries) and reports them. */
    private void quarantineBytes(String name, Path file, long offset, long length, String reason) {
        Path target = quarantineDir.resolve(name + ENTRY);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(target, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING), SpoolPermissions.privateFile(target))) {
            in.transferTo(offset, length, out);
            writeReason(target, reason + " (from " + file.getFileName() + " at byte " + offset + ")");
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot copy unreadable entry " + name
                    + " to quarantine (" + e + "); it is skipped");
            target = file;
        }
        notifyQuarantine(name, target, reason);
    }

    private void moveToQuarantine(String name, Path from, String reason) {
        Path target = quarantineDir.resolve(from.getFileName());
        try {
            Files.move(from, target, StandardCopyOption.REPLACE_EXISTING);
            writeReason(target, reason);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot move unreadable " + from
                    + " to quarantine (" + e + "); it is skipped");
            target = from;
        }
        notifyQuarantine(name, target, reason);
    }

    private static void writeReason(Path quarantined, String reason) throws IOException {
        writeLine(reasonFile(quarantined), reason, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static Path reasonFile(Path quarantined) {
        return quarantined.resolveSibling(quarantined.getFileName() + ".reason.txt");
    }

    /** Writes (or appends) one line to a file created owner-only. */
    private static void writeLine(Path file, String line, StandardOpenOption mode) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
        try (FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode),
                SpoolPermissions.privateFile(file))) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
    }

    private void notifyQuarantine(String name, Object where, String reason) {
        try {
            quarantine.quarantined(name, String.valueOf(where), reason);
        } catch (RuntimeException e) {
            // A listener must not break recovery or delivery.
        }
    }

    private static List<Path> list(Path dir, String glob) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            stream.forEach(files::add);
        }
        return files;
    }

    private static String nameOf(Path p, String suffix) {
        String name = p.getFileName().toString();
        return name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : name;
    }

    private SpoolException failure(String action, IOException e, String consequence) {
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (text.contains("no space left") || text.contains("disk quota exceeded")) {
            return new SpoolException(root, action + ": the disk is full (" + e.getMessage() + ")",
                    (consequence + " Free disk space on that file system or move the spool to a larger one").strip(), e);
        }
        if (e instanceof AccessDeniedException || text.contains("read-only file system")
                || text.contains("operation not permitted") || text.contains("permission denied")) {
            return new SpoolException(root, action + ": the directory is not writable (" + e + ")",
                    (consequence + " Give the user running this process (" + System.getProperty("user.name")
                            + ") write access to the directory, or remount its file system read-write").strip(), e);
        }
        if (e instanceof NoSuchFileException || e instanceof NotDirectoryException || e instanceof FileAlreadyExistsException) {
            return new SpoolException(root, action + ": the directory layout changed underneath the queue (" + e + ")",
                    (consequence + " Do not edit the spool directory while the queue runs; restart to recreate it").strip(), e);
        }
        return new SpoolException(root, action + " (" + e + ")", (consequence + " Check the disk and the directory").strip(), e);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Best effort: recovery clears tmp/ anyway.
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing to do.
        }
    }

    /** Time-ordered ids, unique across processes sharing nothing but the directory. */
    private static final class IdGenerator {
        private static final char[] HEX = "0123456789abcdef".toCharArray();
        private final int nonce = new SecureRandom().nextInt();
        private final AtomicLong counter = new AtomicLong();

        String next(long millis) {
            long n = counter.getAndIncrement();
            char[] c = new char[27];
            hex(c, 0, millis, 12);
            c[12] = '-';
            hex(c, 13, nonce & 0xFFFFFFFFL, 8);
            hex(c, 21, n & 0xFFFFFF, 6);
            return new String(c);
        }

        private static void hex(char[] out, int at, long value, int digits) {
            for (int i = digits - 1; i >= 0; i--) {
                out[at + i] = HEX[(int) (value & 0xF)];
                value >>>= 4;
            }
        }
    }
}
