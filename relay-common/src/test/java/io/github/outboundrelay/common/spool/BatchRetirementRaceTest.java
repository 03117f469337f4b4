package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.OutboundMessage;

import static io.github.outboundrelay.common.SpoolTestSupport.everyFile;
import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two interleavings behind "cannot mark an entry of BATCH done (NoSuchFileException ... .batch)", seen when a
 * queue was killed and reopened while it submitted and sent. Each is forced with latches at the seam between the
 * index letting go of an entry and its batch file being touched.
 */
class BatchRetirementRaceTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");
    static final String X = "0190f3c2a1b4-3f9a2c1d000001";
    static final String Y = "0190f3c2a1b4-3f9a2c1d000002";

    @TempDir
    Path dir;
    final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    final Logger logger = Logger.getLogger("io.github.outboundrelay.spool");
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureWarnings() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        logger.removeHandler(capture);
    }

    /** One batch file in queue/ holding X and Y, both live: what a group commit of two stores writes. */
    void writeBatchOfTwo(OutboundMessage x, OutboundMessage y) throws IOException {
        long millis = T0.toEpochMilli();
        List<byte[]> entries = List.of(
                SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(X, 1, millis, millis, 0, "", null), SpoolEntryCodec.encodeBody(x)),
                SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(Y, 2, millis, millis, 0, "", null), SpoolEntryCodec.encodeBody(y)));
        FileSpool.open(dir).close(); // the directories, owner-only
        Path batch = dir.resolve("queue").resolve("0190f3c2a1b4-3f9a2c1d000000.batch");
        Files.write(batch, SpoolEntryCodec.encodeBatch(entries, new long[2]));
        Files.setPosixFilePermissions(batch, PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void theLastMailOfABatchDeliveredWhileAnEarlierOneIsStillBeingMarkedLeavesNoWarningAndNoFile() throws Exception {
        writeBatchOfTwo(mail(1), mail(2));
        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover(Spool.QuarantineListener.NONE)).isEqualTo(2);
            assertThat(spool.claimDue(T0, 10)).extracting(Spool.Entry::id).containsExactlyInAnyOrder(X, Y);

            CountDownLatch xReleased = new CountDownLatch(1);
            CountDownLatch yRetired = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread first = new Thread(() -> {
                try {
                    spool.complete(X); // the index lets go of X: one live entry left, so X's byte is to be marked
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "sender of X");
            spool.beforeRetire(name -> {
                if (Thread.currentThread() == first) {
                    xReleased.countDown();
                    await(yRetired);
                }
            });
            first.start();
            await(xReleased);
            spool.complete(Y); // the batch's last live entry: the batch is retired while X's mark is still to come
            yRetired.countDown();
            first.join(TimeUnit.SECONDS.toMillis(10));

            assertThat(first.isAlive()).as("the sender of X finished").isFalse();
            assertThat(failure.get()).isNull();
            assertThat(spool.depth().queued()).isZero();
            assertThat(dir.resolve("queue")).isEmptyDirectory();
        }
        assertThat(warnings).as("warnings of the spool").isEmpty();
    }

    @Test
    void aSendThatOutlivesItsClosedSpoolCannotRetireTheBatchTheNextSpoolDeliversFrom() throws Exception {
        OutboundMessage message = mail(1);
        FileSpool old = FileSpool.open(dir);
        old.recover(Spool.QuarantineListener.NONE);
        String id = old.store(message, T0);
        assertThat(old.claimDue(T0, 1)).singleElement().extracting(Spool.Entry::id).isEqualTo(id); // being sent...
        old.close(); // ... when its queue is killed: the lock is released and a new queue opens the directory
        List<String> quarantined = Collections.synchronizedList(new ArrayList<>());
        try (FileSpool next = FileSpool.open(dir)) {
            assertThat(next.recover((qid, where, reason) -> quarantined.add(qid + " " + reason))).isEqualTo(1);
            List<Path> before = everyFile(dir.resolve("queue"));

            assertThatThrownBy(() -> old.complete(id)) // the old send returns from the relay
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(dir.toString()).hasMessageContaining("closed");

            assertThat(everyFile(dir.resolve("queue"))).as("the batch the new spool relies on").isEqualTo(before);
            assertThat(next.claimDue(T0, 10)).as("the mail is sent again, not lost").singleElement()
                    .satisfies(e -> assertThat(e.message()).isEqualTo(message));
            assertThat(quarantined).isEmpty();
        }
        assertThat(warnings).as("warnings of the spool").isEmpty();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the other thread never reached its step");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
