package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolEntryCodec;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.FixedBodyKeys;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.ManualTime;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.SpoolTestSupport;

import static io.github.outboundrelay.common.SpoolTestSupport.distinctiveLink;
import static io.github.outboundrelay.common.SpoolTestSupport.filesContaining;
import static io.github.outboundrelay.common.SpoolTestSupport.resetMail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a key from the platform, spooled bodies are AES-GCM ciphertext: someone who copies the spool (a backup, a
 * shell account on a misconfigured host) reads no link, and someone who edits an entry, checksums and all, gets it
 * quarantined rather than sent.
 */
class EncryptedSpoolTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");

    @TempDir
    Path dir;
    final FixedBodyKeys keys = FixedBodyKeys.withKey("jenkins-7f3a");

    @Test
    void anEncryptedSpoolHoldsNoPlaintextLinkInAnyFileAndGivesTheMailBackIntact() throws Exception {
        String link = distinctiveLink();
        OutboundMessage message = resetMail(1, link);
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.aesGcm(keys))) {
            spool.recover(Spool.QuarantineListener.NONE);
            String queued = spool.store(message, T0);
            String dead = spool.store(resetMail(2, link + "&dead"), T0);
            for (Spool.Entry e : spool.claimDue(T0, 10)) {
                if (e.id().equals(dead)) {
                    spool.deadLetter(dead, SpoolTestSupport.refused(dead, e.message(), T0, T0.plusSeconds(1)));
                } else {
                    assertThat(e.message()).isEqualTo(message);
                    spool.defer(queued, 1, T0.plusSeconds(30), "451 at relay:587");
                }
            }

            assertThat(filesContaining(dir, link)).isEmpty();
            assertThat(spool.claimDue(T0.plusSeconds(30), 10)).singleElement()
                    .satisfies(e -> assertThat(e.message().text()).contains(link));
            assertThat(spool.requeueDeadLetter(dead, T0.plusSeconds(40))).isPresent();
            assertThat(spool.claimDue(T0.plusSeconds(40), 10)).singleElement()
                    .satisfies(e -> assertThat(e.message().text()).contains(link + "&dead"));
        }
    }

    @Test
    void anEntryAlteredWithValidChecksumsIsQuarantinedWithAnEventAndNeverSent() throws Exception {
        ManualTime time = new ManualTime(T0);
        DeliveryLog log = new DeliveryLog(100);
        String link = distinctiveLink();
        String tampered;
        String intact;
        try (ScriptedSmtpPeer relay = QueueTestPeer.start()) {
            try (FileSpool spool = FileSpool.open(dir, BodyCipher.aesGcm(keys));
                 MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(relay)).spool(spool).deliveryLog(log)
                         .clock(time).ticker(time::nanoTime).manualDispatch().shutdownTimeout(Duration.ofSeconds(5)).build()) {
                tampered = queue.submit(resetMail(1, link));
                intact = queue.submit(resetMail(2, link + "&intact"));
            }
            // Submitted by an earlier run, so the claims read both back (the handoff holds only this run's mail).
            try (FileSpool spool = FileSpool.open(dir, BodyCipher.aesGcm(keys));
                 MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(relay)).spool(spool).deliveryLog(log)
                         .clock(time).ticker(time::nanoTime).manualDispatch().shutdownTimeout(Duration.ofSeconds(5)).build()) {
                alterBodyKeepingChecksumsValid(spool.locate(tampered));

                queue.runUntilQuiet(Duration.ofSeconds(20));

                assertThat(relay.received()).singleElement().satisfies(r -> assertThat(r.data()).contains(link + "&intact"));
                assertThat(log.recent()).filteredOn(e -> e.outcome() == DeliveryEvent.Outcome.QUARANTINED).singleElement()
                        .satisfies(e -> assertThat(e.detail()).contains("spool entry " + tampered)
                                .contains("failed authentication with key jenkins-7f3a"));
                assertThat(queue.metrics().quarantined()).isEqualTo(1);
                assertThat(spool.locate(intact)).as("delivered").isNull();
            }
        }
    }

    @Test
    void anUnencryptedSpoolKeepsWorkingWhenEncryptionIsTurnedOnAndItsNewEntriesAreSealed() throws Exception {
        String oldLink = distinctiveLink();
        String newLink = distinctiveLink();
        try (FileSpool before = FileSpool.open(dir)) {
            before.recover(Spool.QuarantineListener.NONE);
            before.store(resetMail(1, oldLink), T0);
        }
        try (FileSpool after = FileSpool.open(dir, BodyCipher.aesGcm(keys))) {
            assertThat(after.recover(Spool.QuarantineListener.NONE)).isEqualTo(1);
            after.store(resetMail(2, newLink), T0.plusSeconds(1));

            assertThat(filesContaining(dir, oldLink)).as("written before").hasSize(1);
            assertThat(filesContaining(dir, newLink)).isEmpty();
            assertThat(after.claimDue(T0.plusSeconds(1), 10)).extracting(e -> e.message().text())
                    .anyMatch(text -> text.contains(oldLink)).anyMatch(text -> text.contains(newLink));
        }
    }

    @Test
    void bodiesSealedBeforeAKeyRotationAreReadAndThoseWhoseKeyIsGoneAreQuarantinedNamingIt() throws Exception {
        String first;
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.aesGcm(keys))) {
            spool.recover(Spool.QuarantineListener.NONE);
            first = spool.store(resetMail(1, distinctiveLink()), T0);
            keys.rotateTo("jenkins-9c01");
            spool.store(resetMail(2, distinctiveLink()), T0);
            assertThat(spool.claimDue(T0, 10)).hasSize(2);
        }
        List<String> quarantined = Collections.synchronizedList(new ArrayList<>());
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.aesGcm(keys.without("jenkins-7f3a")))) {
            spool.recover((id, where, reason) -> quarantined.add(id + ": " + reason));
            assertThat(spool.claimDue(T0, 10)).hasSize(1);
        }
        assertThat(quarantined).containsExactly(first + ": the body was encrypted with key jenkins-7f3a, which no longer "
                + "exists (deleted after a rotation?)");
    }

    /** Flips a ciphertext byte and rewrites both checksums, as someone who knows the format would. */
    static void alterBodyKeepingChecksumsValid(FileSpool.EntryLocation at) throws Exception {
        try (FileChannel ch = FileChannel.open(at.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer entry = ByteBuffer.allocate(at.length());
            ch.read(entry, at.offset());
            byte[] bytes = entry.array();
            SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(bytes, bytes.length);
            int bodyStart = SpoolEntryCodec.HEADER_LENGTH + header.metaLength();
            assertThat(BodyCipher.isSealed(java.util.Arrays.copyOfRange(bytes, bodyStart, bytes.length))).isTrue();
            bytes[bytes.length - 30] ^= 0x01;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            b.putInt(16, SpoolEntryCodec.crc(bytes, bodyStart, header.bodyLength()));
            b.putInt(20, SpoolEntryCodec.crc(bytes, 0, 20));
            ch.write(ByteBuffer.wrap(bytes), at.offset());
        }
    }
}
