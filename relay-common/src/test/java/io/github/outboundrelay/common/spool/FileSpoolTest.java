package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.SpoolTestSupport;

import io.github.outboundrelay.common.OutboundMessage;

import static io.github.outboundrelay.common.SpoolTestSupport.files;
import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class FileSpoolTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");

    @TempDir
    Path dir;

    static FileSpool recovered(FileSpool spool) {
        spool.recover(Spool.QuarantineListener.NONE);
        return spool;
    }

    @Test
    void aStoredMailIsClaimedOnceWithItsStateAndIsGoneWhenCompleted() {
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            OutboundMessage message = mail(1);
            String id = spool.store(message, T0);

            List<Spool.Entry> claimed = spool.claimDue(T0, 10);
            assertThat(claimed).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo(id);
                assertThat(e.message()).isEqualTo(message);
                assertThat(e.attempts()).isZero();
                assertThat(e.firstSubmitted()).isEqualTo(T0);
            });
            assertThat(spool.claimDue(T0, 10)).as("a claimed entry is not claimed twice").isEmpty();
            assertThat(spool.depth().queued()).isEqualTo(1);

            spool.complete(id);
            assertThat(spool.depth().queued()).isZero();
            assertThat(spool.nextDue()).isEmpty();
            assertThat(dir.resolve("queue")).isEmptyDirectory();
        }
    }

    @Test
    void aDeferredMailComesBackWhenDueWithItsAttemptsAlsoAfterAReopen() throws IOException {
        String id;
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            id = spool.store(mail(1), T0);
            spool.store(mail(2), T0.plusSeconds(1));
            spool.claimDue(T0, 1);
            spool.defer(id, 1, T0.plusSeconds(60), "TIMEOUT at relay:587");
            assertThat(spool.nextDue()).contains(T0.plusSeconds(1));
            Files.writeString(dir.resolve("tmp").resolve("half-written.tmp"), "a write that never reached its rename");
        }
        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover(Spool.QuarantineListener.NONE)).isEqualTo(2);
            assertThat(dir.resolve("tmp").resolve("half-written.tmp")).doesNotExist();
            assertThat(spool.claimDue(T0.plusSeconds(59), 10)).extracting(Spool.Entry::id).doesNotContain(id);
            assertThat(spool.claimDue(T0.plusSeconds(60), 10)).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo(id);
                assertThat(e.attempts()).isEqualTo(1);
                assertThat(e.lastFailure()).isEqualTo("TIMEOUT at relay:587");
                assertThat(e.firstSubmitted()).isEqualTo(T0);
            });
        }
    }

    public static void damage(FileSpool.EntryLocation at, int offsetInEntry) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(at.file(), java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            long position = at.offset() + (offsetInEntry >= 0 ? offsetInEntry : at.length() + offsetInEntry);
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            b.rewind();
            ch.write(b, position);
        }
    }

    @Test
    void unreadableEntriesAreQuarantinedWithAReasonAndTheRestIsRecovered() throws IOException {
        List<String> ids = new ArrayList<>();
        List<FileSpool.EntryLocation> where = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            try (FileSpool spool = recovered(FileSpool.open(dir))) { // each run appends to a batch file of its own
                String id = spool.store(mail(i), T0);
                ids.add(id);
                where.add(spool.locate(id));
            }
        }
        assertThat(where).extracting(FileSpool.EntryLocation::file).doesNotHaveDuplicates();
        Files.write(where.get(0).file(), "this is not a spool batch, just some text someone saved here by mistake".getBytes());
        damage(where.get(1), 30); // inside the meta
        List<String> reported = Collections.synchronizedList(new ArrayList<>());

        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover((id, at, reason) -> reported.add(reason))).isEqualTo(2);
            assertThat(spool.claimDue(T0, 10)).extracting(Spool.Entry::id).containsExactlyInAnyOrder(ids.get(2), ids.get(3));
        }
        assertThat(reported).containsExactlyInAnyOrder("not a spool batch file (bad magic or truncated)", "meta checksum mismatch");
        assertThat(files(dir.resolve("quarantine"))).hasSize(4)
                .anyMatch(p -> p.getFileName().toString().endsWith(".msg.reason.txt"));
    }

    @Test
    void anEntryDamagedAfterRecoveryIsQuarantinedWhenClaimedAndItsBatchNeighboursAreNot() throws Exception {
        List<String> reported = Collections.synchronizedList(new ArrayList<>());
        List<String> ids;
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            ids = storeConcurrently(spool, 40);
        }
        // Stored by an earlier run: every claim reads its entry (the handoff holds only this run's stores).
        try (FileSpool spool = FileSpool.open(dir)) {
            spool.recover((id, where, reason) -> reported.add(id + " " + reason));
            FileSpool.EntryLocation bad = spool.locate(ids.get(7));
            damage(bad, -3); // inside the body

            List<Spool.Entry> claimed = spool.claimDue(T0, 100);

            assertThat(claimed).extracting(Spool.Entry::id).hasSize(39).doesNotContain(ids.get(7));
            assertThat(reported).containsExactly(ids.get(7) + " body checksum mismatch");
            assertThat(spool.depth().queued()).isEqualTo(39);
            claimed.forEach(e -> spool.complete(e.id()));
        }
        assertThat(dir.resolve("queue")).as("finished batches are deleted").isEmptyDirectory();
    }

    static List<String> storeConcurrently(FileSpool spool, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                futures.add(pool.submit(() -> spool.store(mail(n), T0)));
            }
            List<String> ids = new ArrayList<>();
            for (Future<String> f : futures) {
                ids.add(f.get());
            }
            return ids;
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aFullSpoolRefusesNamingTheDirectoryAndTheFixAndKeepsWhatItHas() {
        try (FileSpool spool = recovered(FileSpool.open(dir, 3, FileSpool.DEFAULT_MAX_BYTES))) {
            for (int i = 0; i < 3; i++) {
                spool.store(mail(i), T0);
            }
            assertThatThrownBy(() -> spool.store(mail(4), T0))
                    .isInstanceOf(SpoolException.class)
                    .hasMessageContaining(dir.toAbsolutePath().toString())
                    .hasMessageContaining("is full")
                    .hasMessageContaining("The mail was not queued")
                    .hasMessageContaining("spoolMaxMessages");
            assertThat(spool.claimDue(T0, 10)).hasSize(3);
        }
    }

    @Test
    void aFullDiskRefusesClearlyAndLeavesNoHalfWrittenFile() {
        FileSpool.EntryWriter enospc = (file, bytes) -> {
            if (bytes.length > 1) { // The open-time probe writes one byte and passes.
                Files.write(file, java.util.Arrays.copyOf(bytes, 10));
                throw new IOException("No space left on device");
            }
            FileSpool.EntryWriter.FORCED.write(file, bytes);
        };
        try (FileSpool spool = recovered(FileSpool.open(dir, 100, FileSpool.DEFAULT_MAX_BYTES, enospc))) {
            assertThatThrownBy(() -> spool.store(mail(1), T0))
                    .isInstanceOf(SpoolException.class)
                    .hasMessageContaining(dir.toAbsolutePath().toString())
                    .hasMessageContaining("the disk is full")
                    .hasMessageContaining("Free disk space");
            assertThat(dir.resolve("tmp")).isEmptyDirectory();
            assertThat(spool.depth().queued()).isZero();
        }
    }

    @Test
    void aReadOnlyDirectoryRefusesClearlyAndKeepsWhatItHas() throws Exception {
        try (FileSpool first = recovered(FileSpool.open(dir))) {
            first.store(mail(1), T0);
        }
        // A new spool starts a batch file of its own (the first one's would still take appends: its file is open).
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            AutoCloseable readOnly = SpoolTestSupport.makeUnwritable(dir.resolve("tmp"), dir.resolve("queue"));
            try {
                assertThatThrownBy(() -> spool.store(mail(2), T0))
                        .isInstanceOf(SpoolException.class)
                        .hasMessageContaining(dir.toAbsolutePath().toString())
                        .hasMessageContaining("not writable")
                        .hasMessageContaining("write access");
            } finally {
                readOnly.close();
            }
            assertThat(spool.claimDue(T0, 10)).hasSize(1);
            spool.store(mail(3), T0);
        }
    }

    @Test
    void aSpoolDirectoryThatCannotBeCreatedIsRefusedAtOpen() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> FileSpool.open(file.resolve("spool")))
                .isInstanceOf(SpoolException.class)
                .hasMessageContaining(file.resolve("spool").toString())
                .hasMessageContaining("cannot be created");
    }

    @Test
    void aSecondQueueOnTheSameSpoolIsRefused() {
        try (FileSpool first = FileSpool.open(dir)) {
            assertThat(first.directory()).isEqualTo(dir.toAbsolutePath());
            assertThatThrownBy(() -> FileSpool.open(dir))
                    .isInstanceOf(SpoolException.class).hasMessageContaining("in use by another queue");
        }
        FileSpool.open(dir).close();
    }

    @Test
    void concurrentStoresShareBatchFilesAndFsyncs() throws Exception {
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            List<String> ids = storeConcurrently(spool, 400);
            FileSpool.Statistics counts = spool.statistics();
            assertThat(counts.mails()).isEqualTo(400);
            assertThat(counts.batchFiles()).as("batch files (each one fsync and one directory fsync) for 400 stores from 16 threads")
                    .isLessThan(400);
            assertThat(spool.claimDue(T0, 1000)).extracting(Spool.Entry::id).containsExactlyInAnyOrderElementsOf(ids);
        }
        try (FileSpool reopened = FileSpool.open(dir)) {
            assertThat(reopened.recover(Spool.QuarantineListener.NONE)).isEqualTo(400);
        }
    }

    @Test
    void storesAppendToOneBatchFileUntilItIsFullAndAnAppendCutShortByACrashIsSkippedQuietly() throws Exception {
        List<String> ids = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<String> reported = Collections.synchronizedList(new ArrayList<>());
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            String body = "a line of a long build log, stored so that a segment fills in a few dozen stores\n".repeat(800);
            while (files.stream().distinct().count() < 3) {
                String id = spool.store(OutboundMessage.builder().to("user" + ids.size() + "@example.com")
                        .subject("Build log " + ids.size()).text(body).build(), T0);
                ids.add(id);
                files.add(spool.locate(id).file());
            }
            assertThat(Files.size(files.get(0))).as("a full segment").isBetween((long) BatchFiles.SEGMENT_BYTES,
                    (long) BatchFiles.MAX_SPARE_BYTES);
            assertThat(spool.statistics().batchFiles()).as("one group commit per lone store").isEqualTo(ids.size());
        }
        assertThat(files.stream().distinct()).as("two segments filled, the third one started").hasSize(3);
        Path last = files.get(files.size() - 1);
        long before = Files.size(last);
        try (var ch = java.nio.channels.FileChannel.open(last, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {0x4F, 0x52, 0x42, 0x32, 0, 0, 0, 1}), before); // a torn header
        }

        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover((id, where, reason) -> reported.add(reason))).isEqualTo(ids.size());
            assertThat(spool.claimDue(T0, ids.size() + 1)).extracting(Spool.Entry::id).containsExactlyInAnyOrderElementsOf(ids);
            String next = spool.store(mail(-1), T0);
            assertThat(spool.locate(next).file()).as("a reopened spool appends to none of the old files").isNotIn(files);
        }
        assertThat(reported).as("nothing quarantined").isEmpty();
        assertThat(dir.resolve("quarantine")).isEmptyDirectory();
    }

    @Test
    void aStoreWhoseAppendFailsIsRefusedAndNotRecoveredLaterAndTheNextStoreStartsAnotherFile() throws Exception {
        String kept;
        Path first;
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            kept = spool.store(mail(1), T0);
            first = spool.locate(kept).file();
            long size = Files.size(first);
            // The file system refuses the append (the directory is named first: makeUnwritable probes it).
            AutoCloseable readOnly = SpoolTestSupport.makeUnwritable(dir.resolve("queue"), first);
            try {
                assertThatThrownBy(() -> spool.store(mail(2), T0)).isInstanceOf(SpoolException.class)
                        .hasMessageContaining("not writable").hasMessageContaining("The mail was not queued");
            } finally {
                readOnly.close();
            }
            assertThat(Files.size(first)).as("nothing of the refused mail is left in the file").isEqualTo(size);
            String next = spool.store(mail(3), T0);
            assertThat(spool.locate(next).file()).as("the file that failed takes no more appends").isNotEqualTo(first);
            assertThat(spool.depth().queued()).isEqualTo(2);
        }
        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover(Spool.QuarantineListener.NONE)).isEqualTo(2);
            assertThat(spool.claimDue(T0, 10)).extracting(e -> e.message().subject())
                    .containsExactlyInAnyOrder(mail(1).subject(), mail(3).subject());
        }
    }

    @Test
    void aBatchFileTakesNoMoreAppendsOnceAMailOfItIsSentSoItsDeliveredMailDoesNotWaitBehindLaterMail() {
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            String a = spool.store(mail(1), T0);
            String b = spool.store(mail(2), T0);
            Path first = spool.locate(a).file();
            assertThat(spool.locate(b).file()).as("appended").isEqualTo(first);
            assertThat(spool.claimDue(T0, 1)).extracting(Spool.Entry::id).containsExactly(a);

            String c = spool.store(mail(3), T0);
            Path second = spool.locate(c).file();
            assertThat(second).as("stored after a mail of the first file was sent").isNotEqualTo(first);
            spool.complete(a);
            spool.claimDue(T0, 1);
            spool.defer(b, 1, T0.plusSeconds(60), "451 at relay:587");
            assertThat(spool.locate(b).file()).as("a retry is not written where it was claimed from").isNotEqualTo(first);
            assertThat(first).as("each of its mails had its attempt: the file is retired").doesNotExist();

            spool.claimDue(T0, 10);
            spool.complete(c);
            spool.claimDue(T0.plusSeconds(60), 10);
            spool.complete(b);
            assertThat(dir.resolve("queue")).as("no file holds a delivered mail").isEmptyDirectory();
        }
    }

    @Test
    void aMailDeliveredFromAPartlyDeliveredBatchIsNotRecoveredAgainButItsRetryIs() throws Exception {
        List<String> ids;
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            ids = storeConcurrently(spool, 40);
            spool.claimDue(T0, 100);
            for (int i = 0; i < 20; i++) {
                spool.complete(ids.get(i));
            }
            spool.defer(ids.get(20), 1, T0.plusSeconds(30), "TIMEOUT at relay:587");
        }
        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover(Spool.QuarantineListener.NONE)).isEqualTo(20);
            List<Spool.Entry> due = spool.claimDue(T0.plusSeconds(30), 100);
            assertThat(due).extracting(Spool.Entry::id).containsExactlyInAnyOrderElementsOf(ids.subList(20, 40));
            assertThat(due).filteredOn(e -> e.id().equals(ids.get(20))).singleElement()
                    .satisfies(e -> assertThat(e.attempts()).isEqualTo(1));
        }
    }

    @Test
    void deadLettersAreListedRequeuedWithAFreshLifetimeAndPurged() {
        try (FileSpool spool = recovered(FileSpool.open(dir))) {
            String a = spool.store(mail(1), T0);
            String b = spool.store(mail(2), T0);
            for (Spool.Entry e : spool.claimDue(T0, 10)) {
                spool.deadLetter(e.id(), new DeadLetter(e.id(), e.message().messageId(), List.of("u***@example.com"),
                        e.message().subject(), "relay:25", FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 unknown",
                        "check the address", DeadLetter.Reason.REJECTED, 1, e.firstSubmitted(), T0.plusSeconds(1)));
            }
            assertThat(spool.depth()).isEqualTo(new Spool.Depth(0, null, 2));
            assertThat(spool.deadLetters(10)).extracting(DeadLetter::id).containsExactly(a, b);
            assertThat(spool.deadLetters(1)).hasSize(1);

            Instant later = T0.plus(Duration.ofDays(2));
            assertThat(spool.requeueDeadLetter(a, later)).hasValueSatisfying(d -> assertThat(d.id()).isEqualTo(a));
            assertThat(spool.claimDue(later, 10)).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo(a);
                assertThat(e.firstSubmitted()).isEqualTo(later);
                assertThat(e.attempts()).isZero();
            });
            assertThat(spool.purgeDeadLetter(b)).hasValueSatisfying(d -> assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED));
            assertThat(spool.purgeDeadLetter(b)).isEmpty();
            assertThat(spool.deadLetters(10)).isEmpty();
            assertThatThrownBy(() -> spool.purgeDeadLetter("../../etc/passwd")).isInstanceOf(InvalidInputException.class);
        }
    }
}
