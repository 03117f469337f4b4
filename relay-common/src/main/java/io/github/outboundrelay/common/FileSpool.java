package io.github.outboundrelay.common;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The spool as files in one directory: one file per mail, written with a commit protocol that survives a crash at
 * any moment. The right spool for Jenkins (JENKINS_HOME persists) and any single process.
 *
 * <p><b>Guarantees.</b> {@link #store} writes the entry to {@code tmp/}, fsyncs it, renames it atomically into
 * {@code queue/} and fsyncs {@code queue/} (shared by concurrent stores: {@link GroupCommit}) before it returns, so
 * an acknowledged mail survives a killed process and a power loss. A retry rewrites the entry the same way but
 * without the directory fsync: losing that rewrite in a power loss only replays the previous attempt count. A
 * delivered entry is deleted without an fsync: after a power loss (not a killed process) mail delivered in the last
 * seconds may be delivered again, with the same Message-ID. Only an index stays in memory (id, due time, attempts,
 * size: about 200 bytes per mail); bodies are read when a mail is claimed. Entries that cannot be read are moved
 * to {@code quarantine/} with a {@code .reason.txt} beside them, never deleted.
 *
 * <p><b>Layout.</b>
 * <pre>
 * spool.lock            held while a process uses the spool: a second process gets a clear error
 * tmp/ID.tmp            entries being written; removed on recovery
 * queue/ID.msg          queued mail ({@link SpoolEntryCodec} describes the format)
 * dead/ID.msg           dead letters: the same format with the dead-letter record in the meta
 * quarantine/ID.msg     unreadable entries, with ID.reason.txt
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

    static final String SUFFIX = ".msg";
    private static final Pattern ID = Pattern.compile("[0-9a-f]{12}-[0-9a-f]{14}");
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    /** Writes a temporary entry file completely and forces it to disk. A seam for tests of a failing disk. */
    @FunctionalInterface
    interface EntryWriter {
        EntryWriter FORCED = FileSpool::writeAndForce;

        void write(Path file, byte[] bytes) throws IOException;
    }

    /** One queued mail in the index. Fields other than id change only under the spool's lock. */
    private static final class Item {
        final String id;
        final long firstMillis;
        long dueMillis;
        int attempts;
        int size;
        boolean claimed;

        Item(String id, long firstMillis, long dueMillis, int attempts, int size) {
            this.id = id;
            this.firstMillis = firstMillis;
            this.dueMillis = dueMillis;
            this.attempts = attempts;
            this.size = size;
        }
    }

    private final Path root;
    private final Path queueDir;
    private final Path deadDir;
    private final Path quarantineDir;
    private final Path tmpDir;
    private final long maxMessages;
    private final long maxBytes;
    private final EntryWriter writer;
    private final GroupCommit queueSync;
    private final GroupCommit deadSync;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final IdGenerator ids = new IdGenerator();
    private final Object deadLetterLock = new Object();

    // Guarded by this.
    private final Map<String, Item> items = new HashMap<>();
    private final TreeSet<Item> ready = new TreeSet<>(Comparator.<Item>comparingLong(i -> i.dueMillis).thenComparing(i -> i.id));
    private long reservedMessages;
    private long reservedBytes;
    private long deadLetters;
    private boolean recovered;
    private boolean closed;
    private volatile QuarantineListener quarantine = QuarantineListener.NONE;

    private FileSpool(Path root, long maxMessages, long maxBytes, EntryWriter writer) {
        this.root = root.toAbsolutePath();
        this.queueDir = this.root.resolve("queue");
        this.deadDir = this.root.resolve("dead");
        this.quarantineDir = this.root.resolve("quarantine");
        this.tmpDir = this.root.resolve("tmp");
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.writer = writer;
        try {
            for (Path dir : List.of(queueDir, deadDir, quarantineDir, tmpDir)) {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw failure("cannot be created", e, "");
        }
        try {
            lockChannel = FileChannel.open(this.root.resolve("spool.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
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
        Path probe = tmpDir.resolve("write-probe-" + ids.nonce + ".tmp");
        try {
            writer.write(probe, new byte[] {0});
            Files.deleteIfExists(probe);
        } catch (IOException e) {
            deleteQuietly(probe);
            close();
            throw failure("cannot be written", e, "");
        }
        queueSync = new GroupCommit(queueDir);
        deadSync = new GroupCommit(deadDir);
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
        return open(directory, maxMessages, maxBytes, EntryWriter.FORCED);
    }

    static FileSpool open(Path directory, long maxMessages, long maxBytes, EntryWriter writer) {
        if (maxMessages < 1) {
            throw new InvalidInputException("spoolMaxMessages", "is " + maxMessages, "Allow at least one message; the default is " + DEFAULT_MAX_MESSAGES);
        }
        if (maxBytes < 1024) {
            throw new InvalidInputException("spoolMaxBytes", "is " + maxBytes, "Allow at least 1 KiB; the default is 4 GiB");
        }
        return new FileSpool(directory, maxMessages, maxBytes, writer);
    }

    /** {directory fsyncs, stores served} of the queue directory's group commit. */
    long[] groupCommitCounts() {
        return queueSync.counts();
    }

    /** The spool's directory. */
    public Path directory() {
        return root;
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
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmpDir)) {
            for (Path p : leftovers) {
                deleteQuietly(p); // A write that never reached its rename was never acknowledged.
            }
        } catch (IOException e) {
            throw failure("cannot be read", e, "");
        }
        long dead = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(deadDir, "*" + SUFFIX)) {
            for (Path ignored : entries) {
                dead++;
            }
        } catch (IOException e) {
            throw failure("cannot be read", e, "");
        }
        List<Item> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(queueDir, "*" + SUFFIX)) {
            for (Path p : entries) {
                String id = idOf(p);
                if (Files.exists(deadDir.resolve(id + SUFFIX))) {
                    // Crashed between writing the dead letter and deleting the queued copy: the dead letter wins.
                    deleteQuietly(p);
                    continue;
                }
                try {
                    long size = Files.size(p);
                    byte[] head = readPrefix(p, SpoolEntryCodec.HEADER_LENGTH);
                    SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(head, size);
                    byte[] prefix = readPrefix(p, SpoolEntryCodec.HEADER_LENGTH + header.metaLength());
                    SpoolEntryCodec.Meta meta = SpoolEntryCodec.decodeMeta(id, header, prefix, SpoolEntryCodec.HEADER_LENGTH);
                    if (!ID.matcher(id).matches()) {
                        throw new SpoolEntryCodec.CorruptEntryException("file name is not a spool id");
                    }
                    found.add(new Item(id, meta.firstSubmittedMillis(), meta.dueMillis(), meta.attempts(), (int) size));
                } catch (SpoolEntryCodec.CorruptEntryException e) {
                    moveToQuarantine(id, p, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw failure("cannot be read", e, "");
        }
        synchronized (this) {
            for (Item item : found) {
                items.put(item.id, item);
                ready.add(item);
                reservedMessages++;
                reservedBytes += item.size;
            }
            deadLetters = dead;
            return found.size();
        }
    }

    @Override
    public String store(OutboundMessage message, Instant now) {
        long millis = now.toEpochMilli();
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(millis, millis, 0, "", null),
                SpoolEntryCodec.encodeBody(message));
        String id = ids.next(millis);
        reserve(file.length);
        Path target = queueDir.resolve(id + SUFFIX);
        boolean renamed = false;
        try {
            Path tmp = tmpDir.resolve(id + ".tmp");
            writeTemp(tmp, file);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
            queueSync.awaitDurable();
        } catch (IOException e) {
            if (renamed) {
                deleteQuietly(target); // Not acknowledged: the caller will see the error and keep the mail.
            }
            unreserve(file.length);
            throw failure("could not store the mail", e, " The mail was not queued.");
        }
        synchronized (this) {
            Item item = new Item(id, millis, millis, 0, file.length);
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
            Path p = queueDir.resolve(item.id + SUFFIX);
            try {
                SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(item.id, Files.readAllBytes(p));
                SpoolEntryCodec.Meta m = d.meta();
                entries.add(new Entry(item.id, d.message(), m.attempts(), Instant.ofEpochMilli(m.firstSubmittedMillis()),
                        Instant.ofEpochMilli(m.dueMillis()), m.lastFailure()));
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                moveToQuarantine(item.id, p, e.getMessage());
                forget(item.id);
            } catch (NoSuchFileException e) {
                forget(item.id);
                quarantine.quarantined(item.id, p.toString(), "the entry file was removed from outside the queue");
            } catch (IOException e) {
                // A read error (EIO): leave the file alone and try again in a minute rather than in a tight loop.
                LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot read " + p + " (" + e + "); trying again in 60 s");
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
        try {
            Files.deleteIfExists(queueDir.resolve(id + SUFFIX));
        } catch (IOException e) {
            // The mail went out; if the file survives it goes out again after a restart (at-least-once).
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot delete delivered entry " + id + " (" + e + ")");
        }
        forget(id);
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
        Path p = queueDir.resolve(id + SUFFIX);
        IOException failure = null;
        int newSize = item.size;
        try {
            SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(id, Files.readAllBytes(p));
            byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(d.meta().firstSubmittedMillis(),
                    due.toEpochMilli(), attempts, lastFailure, null), d.bodyBytes());
            Path tmp = tmpDir.resolve(id + ".tmp");
            writeTemp(tmp, file);
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            newSize = file.length;
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            moveToQuarantine(id, p, e.getMessage());
            forget(id);
            return;
        } catch (IOException e) {
            failure = e; // The old entry stays; only this attempt's count and due time are not on disk.
        }
        synchronized (this) {
            if (items.get(id) == item) {
                ready.remove(item);
                reservedBytes += newSize - item.size;
                item.size = newSize;
                item.dueMillis = due.toEpochMilli();
                item.attempts = attempts;
                item.claimed = false;
                ready.add(item);
            }
        }
        if (failure != null) {
            throw failure("could not record a retry for " + id, failure, " The mail stays queued.");
        }
    }

    @Override
    public void deadLetter(String id, DeadLetter letter) {
        Path p = queueDir.resolve(id + SUFFIX);
        try {
            SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(id, Files.readAllBytes(p));
            byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(d.meta().firstSubmittedMillis(),
                    d.meta().dueMillis(), letter.attempts(), d.meta().lastFailure(), letter), d.bodyBytes());
            Path tmp = tmpDir.resolve(id + ".tmp");
            writeTemp(tmp, file);
            Files.move(tmp, deadDir.resolve(id + SUFFIX), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            deadSync.awaitDurable();
            Files.deleteIfExists(p);
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            moveToQuarantine(id, p, e.getMessage());
            forget(id);
            return;
        } catch (IOException e) {
            // The entry stays queued and claimed: the caller defers it instead.
            throw failure("could not move " + id + " to the dead letters", e, " The mail stays queued.");
        }
        forget(id);
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
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(deadDir, "*" + SUFFIX)) {
            entries.forEach(files::add);
        } catch (IOException e) {
            throw failure("cannot list the dead letters", e, "");
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        List<DeadLetter> letters = new ArrayList<>();
        for (Path p : files) {
            if (letters.size() >= limit) {
                break;
            }
            String id = idOf(p);
            try {
                long size = Files.size(p);
                SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(readPrefix(p, SpoolEntryCodec.HEADER_LENGTH), size);
                byte[] prefix = readPrefix(p, SpoolEntryCodec.HEADER_LENGTH + header.metaLength());
                SpoolEntryCodec.Meta meta = SpoolEntryCodec.decodeMeta(id, header, prefix, SpoolEntryCodec.HEADER_LENGTH);
                if (meta.deadLetter() == null) {
                    throw new SpoolEntryCodec.CorruptEntryException("a queued entry in the dead-letter directory");
                }
                letters.add(meta.deadLetter());
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                moveToQuarantine(id, p, e.getMessage());
                synchronized (this) {
                    deadLetters--;
                }
            } catch (NoSuchFileException e) {
                // Purged while we listed.
            } catch (IOException e) {
                throw failure("cannot read dead letter " + id, e, "");
            }
        }
        return letters;
    }

    @Override
    public boolean requeueDeadLetter(String id, Instant now) {
        checkId(id);
        synchronized (deadLetterLock) {
            Path dead = deadDir.resolve(id + SUFFIX);
            byte[] file;
            try {
                SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(id, Files.readAllBytes(dead));
                file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(now.toEpochMilli(), now.toEpochMilli(), 0, "", null),
                        d.bodyBytes());
            } catch (NoSuchFileException e) {
                return false;
            } catch (SpoolEntryCodec.CorruptEntryException e) {
                moveToQuarantine(id, dead, e.getMessage());
                synchronized (this) {
                    deadLetters--;
                }
                return false;
            } catch (IOException e) {
                throw failure("cannot read dead letter " + id, e, "");
            }
            reserve(file.length);
            Path target = queueDir.resolve(id + SUFFIX);
            try {
                Path tmp = tmpDir.resolve(id + ".tmp");
                writeTemp(tmp, file);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                queueSync.awaitDurable();
                // If we crash before this delete, recovery keeps the dead letter and drops the copy: requeue again.
                Files.delete(dead);
            } catch (IOException e) {
                deleteQuietly(target);
                unreserve(file.length);
                throw failure("could not requeue dead letter " + id, e, " It stays a dead letter.");
            }
            synchronized (this) {
                deadLetters--;
                Item item = new Item(id, now.toEpochMilli(), now.toEpochMilli(), 0, file.length);
                items.put(id, item);
                ready.add(item);
            }
            return true;
        }
    }

    @Override
    public boolean purgeDeadLetter(String id) {
        checkId(id);
        synchronized (deadLetterLock) {
            try {
                if (!Files.deleteIfExists(deadDir.resolve(id + SUFFIX))) {
                    return false;
                }
            } catch (IOException e) {
                throw failure("cannot delete dead letter " + id, e, "");
            }
            synchronized (this) {
                deadLetters--;
            }
            return true;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
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

    private synchronized void forget(String id) {
        Item item = items.remove(id);
        if (item != null) {
            ready.remove(item);
            reservedMessages--;
            reservedBytes -= item.size;
        }
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

    private static void writeAndForce(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(false);
        }
    }

    private static byte[] readPrefix(Path p, int length) throws IOException {
        byte[] bytes = new byte[length];
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            while (buffer.hasRemaining() && ch.read(buffer) >= 0) {
                // keep reading
            }
        }
        if (buffer.hasRemaining()) {
            return java.util.Arrays.copyOf(bytes, buffer.position());
        }
        return bytes;
    }

    private void moveToQuarantine(String id, Path from, String reason) {
        Path target = quarantineDir.resolve(from.getFileName());
        try {
            Files.move(from, target, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(quarantineDir.resolve(from.getFileName() + ".reason.txt"), reason + System.lineSeparator(),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "Spool " + root + ": cannot move unreadable entry " + from
                    + " to quarantine (" + e + "); it is skipped until the next start");
            target = from;
        }
        try {
            quarantine.quarantined(id, target.toString(), reason);
        } catch (RuntimeException e) {
            // A listener must not break recovery.
        }
    }

    private static String idOf(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
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
        final int nonce = new SecureRandom().nextInt();
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
