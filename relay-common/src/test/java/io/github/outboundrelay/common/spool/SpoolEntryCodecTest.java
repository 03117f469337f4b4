package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpoolEntryCodecTest {
    static final OutboundMessage MESSAGE = OutboundMessage.builder()
            .messageId("<build-42@ci.example.com>")
            .from(MailAddress.of("ci@example.com", "Jenkins CI", "from"))
            .to("Alice <alice@example.com>").cc("bob@example.com").bcc("audit@example.com")
            .replyTo("noreply@example.com")
            .subject("Build #42 failed — ünïcödé")
            .text("line one\n.\nline three")
            .html("<p>Build <b>failed</b></p>")
            .header("X-Jenkins-Job", "app/main")
            .build();

    @Test
    void everyFieldOfTheMessageAndItsStateSurvivesTheRoundTrip() throws Exception {
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 7, 1000, 2000, 3, "TIMEOUT at relay:587", null),
                SpoolEntryCodec.encodeBody(MESSAGE));

        SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(file, BodyCipher.NONE);

        assertThat(d.message()).isEqualTo(MESSAGE);
        assertThat(d.meta()).isEqualTo(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 7, 1000, 2000, 3, "TIMEOUT at relay:587", null));
        assertThat(file).hasSize(SpoolEntryCodec.HEADER_LENGTH + d.header().metaLength() + d.header().bodyLength());
    }

    @Test
    void theRenderedMessageIsStoredAfterTheMessageSealedWithIt() throws Exception {
        byte[] rendered = "Date: Thu, 3 Dec 2026 07:30:15 +0000\r\nSubject: x\r\n\r\n.body\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        BodyCipher cipher = BodyCipher.aesGcm(io.github.outboundrelay.common.FixedBodyKeys.withKey("k1"));
        String id = "0190f3c2a1b4-3f9a2c1d000002";
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(id, 1, 1000, 1000, 0, "", null),
                cipher.seal(SpoolEntryCodec.encodeBody(MESSAGE, rendered), SpoolEntryCodec.associatedData(id)));

        SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(file, cipher);

        assertThat(d.message()).isEqualTo(MESSAGE);
        assertThat(d.rendered()).isEqualTo(rendered);
        assertThat(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(".body");
    }

    @Test
    void aRenderedTextMailKeepsItsBodyOnlyInsideTheRenderingAndReadsBackEqual() throws Exception {
        OutboundMessage text = OutboundMessage.builder().messageId("<t@example.com>").from(MESSAGE.from())
                .to("alice@example.com").subject("s").text("line one\n.\nline three\n" + "console output\n".repeat(150)).build();
        byte[] rendered = io.github.outboundrelay.common.mime.MimeRenderer.render(text,
                io.github.outboundrelay.common.RelaySettings.builder().host("127.0.0.1").port(25).build(), Instant.EPOCH);

        byte[] body = SpoolEntryCodec.encodeBody(text, rendered);
        SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(SpoolEntryCodec.encode(
                new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000004", 1, 1000, 1000, 0, "", null), body), BodyCipher.NONE);

        assertThat(d.message()).isEqualTo(text);
        assertThat(d.rendered()).isEqualTo(rendered);
        assertThat(body.length).isLessThan(rendered.length + 200); // not the text a second time
    }

    @Test
    void anEntryOfTheLayoutWithTheWholeMessageBesideItsRenderingStillReads() throws Exception {
        // Written by the version that rendered at submit and kept the whole message too: message fields, int32 R, R bytes.
        byte[] rendered = "Date: x\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] message = SpoolEntryCodec.encodeBody(MESSAGE);
        byte[] previous = java.nio.ByteBuffer.allocate(message.length + 4 + rendered.length).put(message)
                .putInt(rendered.length).put(rendered).array();

        SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(SpoolEntryCodec.encode(
                new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000005", 1, 1000, 1000, 0, "", null), previous), BodyCipher.NONE);

        assertThat(d.message()).isEqualTo(MESSAGE);
        assertThat(d.rendered()).isEqualTo(rendered);
    }

    @Test
    void aSliceThatPointsOutsideItsRenderingIsDamageNotAMessage() {
        OutboundMessage text = OutboundMessage.builder().messageId("<t@example.com>").from(MESSAGE.from())
                .to("alice@example.com").subject("s").text("hello\n").build();
        byte[] rendered = io.github.outboundrelay.common.mime.MimeRenderer.render(text,
                io.github.outboundrelay.common.RelaySettings.builder().host("127.0.0.1").port(25).build(), Instant.EPOCH);
        byte[] body = SpoolEntryCodec.encodeBody(text, rendered);
        // Cut the rendering short and fix its length: the checksums are right, the slice is not.
        int cut = 5;
        byte[] shorter = java.util.Arrays.copyOf(body, body.length - cut);
        java.nio.ByteBuffer.wrap(shorter).putInt(body.length - 4 - rendered.length, rendered.length - cut);
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000006", 1, 1, 1, 0, "", null), shorter);

        assertThatThrownBy(() -> SpoolEntryCodec.decode(file, BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("body unreadable");
    }

    @Test
    void anEntryOfTheVersionBeforeRenderingAtSubmitReadsWithoutARenderedMessage() throws Exception {
        // The layout of that version: the message fields and nothing after them (its reader refused trailing bytes).
        byte[] previousLayout = SpoolEntryCodec.encodeBody(MESSAGE, null);
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000003", 1, 1000, 1000, 0, "", null),
                previousLayout);

        SpoolEntryCodec.Decoded d = SpoolEntryCodec.decode(file, BodyCipher.NONE);

        assertThat(d.message()).isEqualTo(MESSAGE);
        assertThat(d.rendered()).isNull();
        assertThat(SpoolEntryCodec.encodeBody(MESSAGE)).isEqualTo(previousLayout);
        assertThat(MessageCodec.decode(MessageCodec.encode(MESSAGE))).isEqualTo(MESSAGE);
    }

    @Test
    void aDeadLetterRecordIsReadFromTheMetaAlone() throws Exception {
        DeadLetter letter = new DeadLetter("0190f3c2a1b4-3f9a2c1d000001", MESSAGE.messageId(), List.of("a***@example.com"),
                MESSAGE.subject(), "relay:587", FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 unknown", "check it",
                DeadLetter.Reason.REJECTED, 1, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(5000));
        byte[] file = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta(letter.id(), 8, 1000, 2000, 1, "", letter), SpoolEntryCodec.encodeBody(MESSAGE));

        SpoolEntryCodec.Header header = SpoolEntryCodec.readHeader(file, file.length);
        SpoolEntryCodec.Meta meta = SpoolEntryCodec.decodeMeta(header, file, SpoolEntryCodec.HEADER_LENGTH);

        assertThat(meta.deadLetter()).isEqualTo(letter);
    }

    @Test
    void damageAnywhereIsDetectedNotDecodedIntoAnotherMail() {
        byte[] good = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 1, 1, 2, 0, "", null), SpoolEntryCodec.encodeBody(MESSAGE));
        int metaStart = SpoolEntryCodec.HEADER_LENGTH;
        int bodyStart = good.length - 40;

        assertThatThrownBy(() -> SpoolEntryCodec.decode(flip(good, 0), BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("magic");
        assertThatThrownBy(() -> SpoolEntryCodec.decode(flip(good, 6), BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("header checksum");
        assertThatThrownBy(() -> SpoolEntryCodec.decode(flip(good, metaStart + 3), BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("meta checksum");
        assertThatThrownBy(() -> SpoolEntryCodec.decode(flip(good, bodyStart), BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("body checksum");
        assertThatThrownBy(() -> SpoolEntryCodec.decode(java.util.Arrays.copyOf(good, good.length - 1), BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("expected " + good.length);
        assertThatThrownBy(() -> SpoolEntryCodec.decode(new byte[7], BodyCipher.NONE))
                .isInstanceOf(SpoolEntryCodec.CorruptEntryException.class).hasMessageContaining("truncated");
    }

    @Test
    void aBatchFramesEachEntryWithItsLengthAndAStateByte() throws Exception {
        byte[] a = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 1, 1, 1, 0, "", null),
                SpoolEntryCodec.encodeBody(MESSAGE));
        byte[] b = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000002", 2, 1, 1, 0, "", null),
                SpoolEntryCodec.encodeBody(MESSAGE));
        long[] offsets = new long[2];
        byte[] batch = SpoolEntryCodec.encodeBatch(List.of(a, b), offsets);

        assertThat(offsets).containsExactly(13, 13 + a.length + 5);
        assertThat(batch).hasSize(8 + 5 + a.length + 5 + b.length);
        assertThat(batch[12]).as("state byte of the first entry").isEqualTo(SpoolEntryCodec.LIVE);
        byte[] second = java.util.Arrays.copyOfRange(batch, (int) offsets[1], (int) offsets[1] + b.length);
        assertThat(SpoolEntryCodec.decode(second, BodyCipher.NONE).meta().id()).isEqualTo("0190f3c2a1b4-3f9a2c1d000002");
    }

    @Test
    void readingABatchReportsEachLiveEntryWithItsMetaSkipsDoneOnesAndReadsPastADamagedOne() throws Exception {
        List<byte[]> entries = new java.util.ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            entries.add(SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d00000" + i, i, 1, 1, 0, "", null),
                    SpoolEntryCodec.encodeBody(MESSAGE)));
        }
        long[] offsets = new long[4];
        byte[] batch = SpoolEntryCodec.encodeBatch(entries, offsets);
        batch[(int) SpoolEntryCodec.statePosition(offsets[1])] = SpoolEntryCodec.DONE; // the second was delivered
        batch[(int) offsets[2] + SpoolEntryCodec.HEADER_LENGTH + 2] ^= 0x40;            // the third's meta is damaged

        List<String> seen = read(batch);

        assertThat(seen).containsExactly(
                "live " + offsets[0] + " 0190f3c2a1b4-3f9a2c1d000001",
                "damaged " + offsets[2] + " meta checksum mismatch",
                "live " + offsets[3] + " 0190f3c2a1b4-3f9a2c1d000004");
    }

    @Test
    void readingABatchStopsWhereItStopsMakingSense() throws Exception {
        byte[] a = SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 1, 1, 1, 0, "", null),
                SpoolEntryCodec.encodeBody(MESSAGE));
        long[] offsets = new long[2];
        byte[] batch = SpoolEntryCodec.encodeBatch(List.of(a, a), offsets);
        byte[] truncated = java.util.Arrays.copyOf(batch, batch.length - 3);

        assertThat(read(truncated)).containsExactly("live " + offsets[0] + " 0190f3c2a1b4-3f9a2c1d000001",
                "unreadable from " + (offsets[1] - 5) + ": entry 1 of 2 has an impossible length " + a.length
                        + "; the rest of the batch is unreadable");
        assertThat(read(a)).as("an entry file is not a batch").containsExactly("not a batch: not a spool batch file (bad magic or truncated)");
        assertThat(read(new byte[3])).containsExactly("not a batch: not a spool batch file (bad magic or truncated)");
    }

    @Test
    void aSegmentIsReadChunkByChunkAndEndsQuietlyAtAnAppendCutShort() throws Exception {
        List<byte[]> entries = new java.util.ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            entries.add(SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d00000" + i, i, 1, 1, 0, "", null),
                    SpoolEntryCodec.encodeBody(MESSAGE)));
        }
        long[] first = new long[2];
        byte[] chunk1 = SpoolEntryCodec.encodeChunk(entries.subList(0, 2), 0, first);
        long[] second = new long[2];
        byte[] chunk2 = SpoolEntryCodec.encodeChunk(entries.subList(2, 4), chunk1.length, second);
        long[] third = new long[1];
        byte[] chunk3 = SpoolEntryCodec.encodeChunk(entries.subList(4, 5), chunk1.length + chunk2.length, third);
        java.io.ByteArrayOutputStream segment = new java.io.ByteArrayOutputStream();
        segment.write(chunk1);
        segment.write(chunk2);
        segment.write(chunk3, 0, chunk3.length - 7); // the last append was cut short by a crash
        byte[] file = segment.toByteArray();
        file[(int) SpoolEntryCodec.statePosition(first[1])] = SpoolEntryCodec.DONE;
        byte[] entry3 = java.util.Arrays.copyOfRange(file, (int) second[0], (int) second[0] + entries.get(2).length);

        assertThat(first[0]).as("after the chunk header and the record prefix").isEqualTo(16 + 5);
        assertThat(SpoolEntryCodec.decode(entry3, BodyCipher.NONE).meta().id()).isEqualTo("0190f3c2a1b4-3f9a2c1d000003");
        assertThat(read(file)).containsExactly(
                "live " + first[0] + " 0190f3c2a1b4-3f9a2c1d000001",
                "live " + second[0] + " 0190f3c2a1b4-3f9a2c1d000003",
                "live " + second[1] + " 0190f3c2a1b4-3f9a2c1d000004",
                "torn at " + (chunk1.length + chunk2.length));

        byte[] garbage = java.util.Arrays.copyOf(chunk1, chunk1.length + 40); // zeros where a header would be
        assertThat(read(garbage)).containsExactly("live " + first[0] + " 0190f3c2a1b4-3f9a2c1d000001",
                "live " + first[1] + " 0190f3c2a1b4-3f9a2c1d000002", "torn at " + chunk1.length);

        byte[] damagedRecord = file.clone(); // a record inside a whole chunk that makes no sense: that chunk's rest only
        java.nio.ByteBuffer.wrap(damagedRecord).putInt((int) second[0] - 5, 3);
        assertThat(read(damagedRecord)).containsExactly(
                "live " + first[0] + " 0190f3c2a1b4-3f9a2c1d000001",
                "unreadable " + (second[0] - 5) + "+" + (chunk1.length + chunk2.length - (second[0] - 5))
                        + ": entry 0 of 2 has an impossible length 3; the rest of the batch is unreadable",
                "torn at " + (chunk1.length + chunk2.length));
    }

    /** What {@link SpoolEntryCodec#readBatch} reports for a batch file holding {@code file}. */
    private static List<String> read(byte[] file) throws java.io.IOException {
        List<String> seen = new java.util.ArrayList<>();
        SpoolEntryCodec.readBatch((position, length) -> {
            int from = (int) Math.min(position, file.length);
            return java.nio.ByteBuffer.wrap(java.util.Arrays.copyOfRange(file, from, (int) Math.min(file.length, position + length)));
        }, file.length, new SpoolEntryCodec.BatchVisitor() {
            @Override
            public void notABatch(String reason) {
                seen.add("not a batch: " + reason);
            }

            @Override
            public void unreadableFrom(long position, String reason) {
                seen.add("unreadable from " + position + ": " + reason);
            }

            @Override
            public void unreadable(long position, long length, String reason) {
                seen.add("unreadable " + position + "+" + length + ": " + reason);
            }

            @Override
            public void tornTail(long position, String reason) {
                seen.add("torn at " + position);
            }

            @Override
            public void live(long start, int length, SpoolEntryCodec.Meta meta) {
                seen.add("live " + start + " " + meta.id());
            }

            @Override
            public void damaged(long start, int length, String reason) {
                seen.add("damaged " + start + " " + reason);
            }
        });
        return seen;
    }

    private static byte[] flip(byte[] bytes, int at) {
        byte[] copy = bytes.clone();
        copy[at] ^= 0x40;
        return copy;
    }
}
