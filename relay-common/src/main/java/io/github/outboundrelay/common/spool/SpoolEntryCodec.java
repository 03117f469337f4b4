package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.mime.BodySlice;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The on-disk form of spooled mail, as {@link FileSpool} writes it: entries, and batch files holding the entries
 * one group commit wrote together.
 *
 * <p><b>Guarantees.</b> A file is complete or absent: {@link FileSpool} writes it under {@code tmp/}, forces it to
 * disk, and only then renames it into place, so a crash never leaves a half-written file under a final name.
 * Every entry carries CRC32Cs, so damage done later (a bad disk, a person editing a file) is detected and that entry
 * quarantined instead of sent garbled; its neighbours in the batch are unaffected. The header and meta of an entry
 * can be read without its body: recovery reads {@code 24 + M} bytes per entry, and 100,000 queued mails cost an
 * index entry each, not their bodies. Each write of an entry carries a version one higher than any before it in
 * the spool, so when a crash leaves two copies of an entry (its retry was written, the old copy not yet marked
 * done), recovery keeps the newer.
 *
 * <p><b>Format</b> (integers big-endian; {@code str} is an int32 byte length then UTF-8; {@code str?} is a byte 0 or
 * 1 then, if 1, a {@code str}; {@code addr} is {@code str address, str displayName}; {@code addr?} likewise
 * optional; {@code addrs} is an int32 count then that many {@code addr}):
 * <pre>
 * Batch file (queue/BATCH.batch), one of two kinds, told apart by its first four bytes:
 *   a segment, written since group commits append to an open file (one or more chunks, each one group commit):
 *     chunk  0  int32  magic 0x4F524232 ("ORB2")
 *            4  int32  n, number of entries
 *            8  int32  C, bytes of the records that follow
 *            12 int32  CRC32C of bytes 0..11
 *            16        n x record, C bytes in all; the next chunk starts right after
 *     A chunk that is cut short by the end of the file, or whose header is not whole or does not check, ends the
 *     segment: it is a torn append, never acknowledged (its fsync had not returned), and is skipped.
 *   a single batch, as written before segments (still read):
 *     0  int32  magic 0x4F524231 ("ORB1")
 *     4  int32  n, number of entries
 *     8         n x record
 *   record: int32 length L, byte state, then an entry of L bytes
 *     state 0: live; 1: done (delivered, dead-lettered, quarantined or superseded by a newer copy). The state
 *     byte is the only byte ever rewritten in place, and no checksum covers it.
 * Entry (also a whole file on its own: dead/ID.msg, quarantine/ID.msg)
 *   Header, 24 bytes
 *     0  int32  magic 0x4F525131 ("ORQ1"); a new layout gets a new magic
 *     4  int32  M, length of the meta
 *     8  int32  B, length of the body
 *     12 int32  CRC32C of the meta
 *     16 int32  CRC32C of the body
 *     20 int32  CRC32C of bytes 0..19
 *   Meta, M bytes: identity and delivery state, written anew on every retry
 *     str id   int64 version   int64 firstSubmitted (epoch millis)   int64 due (epoch millis)   int32 attempts
 *     str lastFailure
 *     byte kind: 0 queued, 1 dead letter, 2 dead letter whose body was deleted after its retention (B is 0);
 *          a dead letter continues with
 *          str messageId, int32 n, n x str recipient (masked), str subject, str relay, str category,
 *          str reply, str remedy, str reason, int64 deadLettered (epoch millis)
 *   Body, B bytes: the message, copied unchanged on every retry; sealed by the spool's {@link BodyCipher} (with the
 *   entry id as associated data) when it has a key, which the body's first four bytes tell ("ORE1"), else
 *     str messageId, addr? from, addrs to, addrs cc, addrs bcc, addr? replyTo, str subject, str? text, str? html,
 *     int32 n, n x (str name, str value) extra headers in order,
 *     then, in entries written while mail was rendered at submit beside the whole message (layout 1), int32 R and R
 *     bytes: the message as {@code MimeRenderer} rendered it. Entries of earlier versions end before it and are
 *     rendered when they are sent.
 *   or, since the spool keeps a rendered mail's bodies only inside its rendering (layout 2; it starts with an int32
 *   that cannot be a length, so a reader of layout 1 quarantines it instead of sending it garbled):
 *     int32 -2, str messageId, addr? from, addrs to, addrs cc, addrs bcc, addr? replyTo, str subject,
 *     body text, body html, int32 n, n x (str name, str value) extra headers in order, int32 R and R bytes rendered;
 *     a body is byte 0 (none), or byte 1 then a str, or byte 2 then int32 offset, int32 length, byte flags: where
 *     the body stands verbatim in the rendered bytes ({@code BodySlice}; flags bit 0 LF line ends, bit 1 last CRLF
 *     added by the rendering)
 * </pre>
 * An entry is exactly {@code 24 + M + B} bytes long; anything else is damage.
 */
public final class SpoolEntryCodec {
    static final int MAGIC = 0x4F525131;
    static final int BATCH_MAGIC = 0x4F524231;
    static final int BATCH_HEADER_LENGTH = 8;
    static final int CHUNK_MAGIC = 0x4F524232;
    static final int CHUNK_HEADER_LENGTH = 16;
    /** Before each entry in a batch: its length and its state byte. */
    static final int RECORD_PREFIX_LENGTH = 5;
    static final byte LIVE = 0;
    static final byte DONE = 1;
    public static final int HEADER_LENGTH = 24;
    static final int MAX_META_LENGTH = 1 << 20;
    static final int MAX_BODY_LENGTH = 256 << 20;

    private static final byte QUEUED = 0;
    private static final byte DEAD_LETTER = 1;
    private static final byte DEAD_LETTER_WITHOUT_BODY = 2;
    /** First int32 of a layout-2 body; a layout-1 body starts with a string's length, never negative. */
    private static final int LAYOUT_2 = -2;
    private static final byte NO_BODY = 0;
    private static final byte INLINE_BODY = 1;
    private static final byte SLICED_BODY = 2;

    private SpoolEntryCodec() {
    }

    /** The fixed-size start of an entry, checked. */
    public record Header(int metaLength, int bodyLength, int metaCrc, int bodyCrc) {
        long fileLength() {
            return (long) HEADER_LENGTH + metaLength + bodyLength;
        }
    }

    /**
     * The identity and delivery state of an entry.
     *
     * @param id         the spool id
     * @param version    higher for every write of any entry: the newest copy of an id wins
     * @param deadLetter the dead-letter record, or null while queued
     * @param bodyDeleted a dead letter whose body was deleted after its retention: it can be listed, not sent
     */
    public record Meta(String id, long version, long firstSubmittedMillis, long dueMillis, int attempts, String lastFailure,
                DeadLetter deadLetter, boolean bodyDeleted) {
        public Meta {
            lastFailure = lastFailure == null ? "" : lastFailure;
            if (bodyDeleted && deadLetter == null) {
                throw new IllegalArgumentException("only a dead letter loses its body");
            }
        }

        public Meta(String id, long version, long firstSubmittedMillis, long dueMillis, int attempts, String lastFailure,
             DeadLetter deadLetter) {
            this(id, version, firstSubmittedMillis, dueMillis, attempts, lastFailure, deadLetter, false);
        }

        /** The same dead letter without its body. */
        Meta withoutBody() {
            return new Meta(id, version, firstSubmittedMillis, dueMillis, attempts, lastFailure, deadLetter, true);
        }
    }

    /** The stored bytes do not form an entry: truncated, checksum mismatch, or a field out of range. */
    static final class CorruptEntryException extends Exception {
        CorruptEntryException(String message) {
            super(message);
        }

        CorruptEntryException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static byte[] encodeBody(OutboundMessage m) {
        return encodeBody(m, null);
    }

    /**
     * The body of an entry: the message alone when {@code rendered} is null (layout 1), else the message's envelope
     * and headers with its rendering, the text and HTML kept apart only where the rendering does not hold them
     * verbatim (layout 2): about half the bytes to write and fsync for a text mail.
     */
    public static byte[] encodeBody(OutboundMessage m, byte[] rendered) {
        if (rendered == null) {
            return encodeMessage(m);
        }
        BodySlice[] slices = BodySlice.findBodies(m.text(), m.html(), rendered);
        Out out = new Out(256 + (slices[0] == null ? length(m.text()) : 0) + (slices[1] == null ? length(m.html()) : 0)
                + rendered.length);
        out.i32(LAYOUT_2);
        envelope(out, m);
        body(out, m.text(), slices[0]);
        body(out, m.html(), slices[1]);
        headers(out, m);
        out.bytes(rendered);
        return out.bytes();
    }

    private static void envelope(Out out, OutboundMessage m) {
        out.str(m.messageId());
        out.optionalAddress(m.from());
        out.addresses(m.to());
        out.addresses(m.cc());
        out.addresses(m.bcc());
        out.optionalAddress(m.replyTo());
        out.str(m.subject());
    }

    private static void headers(Out out, OutboundMessage m) {
        out.i32(m.headers().size());
        m.headers().forEach((name, value) -> {
            out.str(name);
            out.str(value);
        });
    }

    private static void body(Out out, String text, BodySlice slice) {
        if (text == null) {
            out.u8(NO_BODY);
        } else if (slice == null) {
            out.u8(INLINE_BODY);
            out.str(text);
        } else {
            out.u8(SLICED_BODY);
            out.i32(slice.offset());
            out.i32(slice.length());
            out.u8((slice.lfLineEnds() ? 1 : 0) | (slice.addedLastCrlf() ? 2 : 0));
        }
    }

    /** Layout 1 without a rendering: what {@link MessageCodec} stores, and what entries of earlier versions hold. */
    private static byte[] encodeMessage(OutboundMessage m) {
        Out out = new Out(256 + length(m.text()) + length(m.html()));
        envelope(out, m);
        out.optionalStr(m.text());
        out.optionalStr(m.html());
        headers(out, m);
        return out.bytes();
    }

    static byte[] encodeMeta(Meta meta) {
        Out out = new Out(128);
        out.str(meta.id());
        out.i64(meta.version());
        out.i64(meta.firstSubmittedMillis());
        out.i64(meta.dueMillis());
        out.i32(meta.attempts());
        out.str(meta.lastFailure());
        DeadLetter d = meta.deadLetter();
        if (d == null) {
            out.u8(QUEUED);
        } else {
            out.u8(meta.bodyDeleted() ? DEAD_LETTER_WITHOUT_BODY : DEAD_LETTER);
            out.str(d.messageId());
            out.i32(d.recipients().size());
            d.recipients().forEach(out::str);
            out.str(d.subject());
            out.str(d.relay());
            out.str(d.category().name());
            out.str(d.reply());
            out.str(d.remedy());
            out.str(d.reason().name());
            out.i64(d.deadLettered().toEpochMilli());
        }
        return out.bytes();
    }

    /** A whole entry file: header, meta, body. */
    public static byte[] encode(Meta meta, byte[] body) {
        byte[] metaBytes = encodeMeta(meta);
        if (body.length > MAX_BODY_LENGTH) {
            throw new InvalidInputException("body", "is " + body.length + " bytes, above the spool's limit of "
                    + MAX_BODY_LENGTH, "Send attachments as links; relays refuse mail this large anyway");
        }
        ByteBuffer file = ByteBuffer.allocate(HEADER_LENGTH + metaBytes.length + body.length);
        file.putInt(MAGIC).putInt(metaBytes.length).putInt(body.length).putInt(crc(metaBytes, 0, metaBytes.length))
                .putInt(crc(body, 0, body.length));
        file.putInt(crc(file.array(), 0, 20));
        file.put(metaBytes).put(body);
        return file.array();
    }

    /** Checks the first {@link #HEADER_LENGTH} bytes of a file of {@code fileLength} bytes. */
    public static Header readHeader(byte[] bytes, long fileLength) throws CorruptEntryException {
        if (bytes.length < HEADER_LENGTH || fileLength < HEADER_LENGTH) {
            throw new CorruptEntryException("truncated: " + fileLength + " bytes, shorter than the " + HEADER_LENGTH + "-byte header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, HEADER_LENGTH);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new CorruptEntryException(String.format("not a spool entry: magic 0x%08X, expected 0x%08X", magic, MAGIC));
        }
        int metaLength = b.getInt();
        int bodyLength = b.getInt();
        int metaCrc = b.getInt();
        int bodyCrc = b.getInt();
        int headerCrc = b.getInt();
        if (headerCrc != crc(bytes, 0, 20)) {
            throw new CorruptEntryException("header checksum mismatch");
        }
        if (metaLength < 0 || metaLength > MAX_META_LENGTH || bodyLength < 0 || bodyLength > MAX_BODY_LENGTH) {
            throw new CorruptEntryException("lengths out of range: meta " + metaLength + ", body " + bodyLength);
        }
        Header header = new Header(metaLength, bodyLength, metaCrc, bodyCrc);
        if (header.fileLength() != fileLength) {
            throw new CorruptEntryException("file is " + fileLength + " bytes, expected " + header.fileLength());
        }
        return header;
    }

    /** Decodes the meta at {@code offset}, checking its checksum. */
    static Meta decodeMeta(Header header, byte[] bytes, int offset) throws CorruptEntryException {
        if (crc(bytes, offset, header.metaLength()) != header.metaCrc()) {
            throw new CorruptEntryException("meta checksum mismatch");
        }
        try {
            In in = new In(bytes, offset, header.metaLength());
            String id = in.str();
            long version = in.i64();
            long first = in.i64();
            long due = in.i64();
            int attempts = in.i32();
            String lastFailure = in.str();
            byte kind = in.u8();
            DeadLetter dead = null;
            if (kind == DEAD_LETTER || kind == DEAD_LETTER_WITHOUT_BODY) {
                String messageId = in.str();
                int n = in.count();
                List<String> recipients = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    recipients.add(in.str());
                }
                String subject = in.str();
                String relay = in.str();
                FailureCategory category = FailureCategory.valueOf(in.str());
                String reply = in.str();
                String remedy = in.str();
                DeadLetter.Reason reason = DeadLetter.Reason.valueOf(in.str());
                Instant deadLettered = Instant.ofEpochMilli(in.i64());
                dead = new DeadLetter(id, messageId, recipients, subject, relay, category, reply, remedy, reason,
                        attempts, Instant.ofEpochMilli(first), deadLettered);
            } else if (kind != QUEUED) {
                throw new CorruptEntryException("unknown entry kind " + kind);
            }
            in.end();
            if (attempts < 0) {
                throw new CorruptEntryException("negative attempt count " + attempts);
            }
            return new Meta(id, version, first, due, attempts, lastFailure, dead, kind == DEAD_LETTER_WITHOUT_BODY);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptEntryException("meta unreadable: " + e, e);
        }
    }

    /** A stored message and, when it was stored rendered, its rendered bytes (else null). */
    record Body(OutboundMessage message, byte[] rendered) {
    }

    /** Decodes the body at {@code offset}, checking its checksum, into a message that passes validation again. */
    static OutboundMessage decodeBody(Header header, byte[] bytes, int offset) throws CorruptEntryException {
        checkBody(header, bytes, offset);
        return parseBody(bytes, offset, header.bodyLength()).message();
    }

    /** Like {@link #decodeBody(Header, byte[], int)} for a body the spool may have sealed for entry {@code id}. */
    static Body decodeBody(Header header, byte[] bytes, int offset, BodyCipher cipher, String id)
            throws CorruptEntryException {
        checkBody(header, bytes, offset);
        byte[] plain;
        try {
            plain = cipher.open(Arrays.copyOfRange(bytes, offset, offset + header.bodyLength()), associatedData(id));
        } catch (IllegalArgumentException e) {
            throw new CorruptEntryException(e.getMessage(), e);
        }
        return parseBody(plain, 0, plain.length);
    }

    /** What a body is sealed against: the entry it belongs to. */
    static byte[] associatedData(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private static void checkBody(Header header, byte[] bytes, int offset) throws CorruptEntryException {
        if (crc(bytes, offset, header.bodyLength()) != header.bodyCrc()) {
            throw new CorruptEntryException("body checksum mismatch");
        }
    }

    private static Body parseBody(byte[] bytes, int offset, int length) throws CorruptEntryException {
        try {
            In in = new In(bytes, offset, length);
            // Layout 2 starts with a negative marker where layout 1 starts with the Message-ID's length.
            boolean layout2 = in.peekI32() == LAYOUT_2;
            if (layout2) {
                in.i32();
            }
            String messageId = in.str();
            MailAddress from = in.optionalAddress();
            List<MailAddress> to = in.addresses();
            List<MailAddress> cc = in.addresses();
            List<MailAddress> bcc = in.addresses();
            MailAddress replyTo = in.optionalAddress();
            String subject = in.str();
            Object text = layout2 ? in.body() : in.optionalStr();
            Object html = layout2 ? in.body() : in.optionalStr();
            int n = in.count();
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                headers.put(in.str(), in.str());
            }
            // Layout 1 holds the rendering when one was stored; layout 2 always does.
            byte[] rendered = layout2 || in.hasRemaining() ? in.bytes() : null;
            in.end();
            return new Body(new OutboundMessage(messageId, from, to, cc, bcc, replyTo, subject, bodyText(text, rendered),
                    bodyText(html, rendered), headers), rendered);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            // InvalidInputException is an IllegalArgumentException: a stored message that no longer validates.
            throw new CorruptEntryException("body unreadable: " + e.getMessage(), e);
        }
    }

    private static String bodyText(Object body, byte[] rendered) {
        return body instanceof BodySlice slice ? slice.text(rendered) : (String) body;
    }

    /** A whole file, decoded and checked; {@code message} is null when only {@link #decodeStored} read it. */
    record Decoded(Header header, Meta meta, OutboundMessage message, byte[] rendered, byte[] file) {
        /** The body bytes as stored, to rewrite the meta without re-encoding the message. */
        byte[] bodyBytes() {
            byte[] body = new byte[header.bodyLength()];
            System.arraycopy(file, HEADER_LENGTH + header.metaLength(), body, 0, body.length);
            return body;
        }
    }

    /** Header, meta and the body's checksum, without opening the body: enough to store the entry with a new meta. */
    static Decoded decodeStored(byte[] file) throws CorruptEntryException {
        Header header = readHeader(file, file.length);
        Meta meta = decodeMeta(header, file, HEADER_LENGTH);
        checkBody(header, file, HEADER_LENGTH + header.metaLength());
        return new Decoded(header, meta, null, null, file);
    }

    /** @throws CorruptEntryException also for a dead letter whose body was deleted: there is no message to decode */
    static Decoded decode(byte[] file, BodyCipher cipher) throws CorruptEntryException {
        Header header = readHeader(file, file.length);
        Meta meta = decodeMeta(header, file, HEADER_LENGTH);
        if (meta.bodyDeleted()) {
            throw new CorruptEntryException("the body of " + meta.id() + " was deleted after its retention");
        }
        Body body = decodeBody(header, file, HEADER_LENGTH + header.metaLength(), cipher, meta.id());
        return new Decoded(header, meta, body.message(), body.rendered(), file);
    }

    /**
     * A batch file holding {@code entries}, all live; {@code offsets[i]} receives where entry i starts in it (its
     * state byte is the byte before).
     */
    public static byte[] encodeBatch(List<byte[]> entries, long[] offsets) {
        int length = BATCH_HEADER_LENGTH;
        for (byte[] e : entries) {
            length += RECORD_PREFIX_LENGTH + e.length;
        }
        ByteBuffer batch = ByteBuffer.allocate(length);
        batch.putInt(BATCH_MAGIC).putInt(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            byte[] e = entries.get(i);
            batch.putInt(e.length).put(LIVE);
            offsets[i] = batch.position();
            batch.put(e);
        }
        return batch.array();
    }

    /**
     * One chunk of a segment, to be written at {@code base} of its file: the entries of one group commit, all live;
     * {@code offsets[i]} receives where entry i starts in the file (its state byte is the byte before).
     */
    public static byte[] encodeChunk(List<byte[]> entries, long base, long[] offsets) {
        int records = 0;
        for (byte[] e : entries) {
            records += RECORD_PREFIX_LENGTH + e.length;
        }
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_HEADER_LENGTH + records);
        chunk.putInt(CHUNK_MAGIC).putInt(entries.size()).putInt(records);
        chunk.putInt(crc(chunk.array(), 0, 12));
        for (int i = 0; i < entries.size(); i++) {
            byte[] e = entries.get(i);
            chunk.putInt(e.length).put(LIVE);
            offsets[i] = base + chunk.position();
            chunk.put(e);
        }
        return chunk.array();
    }

    /** Where the state byte of the entry starting at {@code entryStart} in a batch file is. */
    static long statePosition(long entryStart) {
        return entryStart - 1;
    }

    /** Reads up to {@code length} bytes of a file at {@code position}; the buffer's limit says how many there were. */
    @FunctionalInterface
    interface PositionalReader {
        ByteBuffer read(long position, int length) throws IOException;
    }

    /** What {@link #readBatch} finds in a batch file, in file order. */
    interface BatchVisitor {
        /** The file is not a batch file at all. */
        void notABatch(String reason);

        /** From {@code position} to the end the file makes no sense: the entries before it were reported. */
        void unreadableFrom(long position, String reason);

        /** A live entry of {@code length} bytes at {@code start}, its meta checked. */
        void live(long start, int length, Meta meta);

        /** A live entry whose header or meta is damaged; its length is known, so the entries after it are read. */
        void damaged(long start, int length, String reason);

        /**
         * The {@code length} bytes at {@code position} make no sense, but the segment's next chunk can be read:
         * reported like {@link #unreadableFrom} unless the visitor keeps only that part.
         */
        default void unreadable(long position, long length, String reason) {
            unreadableFrom(position, reason);
        }

        /** From {@code position} on, the segment holds an append that was cut short: never acknowledged, skipped. */
        default void tornTail(long position, String reason) {
        }
    }

    /**
     * Reads the layout of a batch file of {@code size} bytes and the meta of each live entry, never a body: recovery
     * reads {@code 24 + M} bytes per entry. Done entries are skipped.
     */
    static void readBatch(PositionalReader in, long size, BatchVisitor visitor) throws IOException {
        ByteBuffer head = in.read(0, BATCH_HEADER_LENGTH);
        int magic = head.remaining() >= 4 ? head.getInt(0) : 0;
        if (magic == CHUNK_MAGIC) {
            readSegment(in, size, visitor);
            return;
        }
        if (head.remaining() < BATCH_HEADER_LENGTH || magic != BATCH_MAGIC) {
            visitor.notABatch("not a spool batch file (bad magic or truncated)");
            return;
        }
        readRecords(in, BATCH_HEADER_LENGTH, head.getInt(4), size, visitor);
    }

    /** The chunks of a segment, up to its end or a torn append. */
    private static void readSegment(PositionalReader in, long size, BatchVisitor visitor) throws IOException {
        long pos = 0;
        while (pos < size) {
            ByteBuffer h = in.read(pos, CHUNK_HEADER_LENGTH);
            if (h.remaining() < CHUNK_HEADER_LENGTH || h.getInt(0) != CHUNK_MAGIC
                    || h.getInt(12) != crc(Arrays.copyOf(h.array(), 12), 0, 12)) {
                visitor.tornTail(pos, "a chunk header at " + pos + " is not whole");
                return;
            }
            int count = h.getInt(4);
            long end = pos + CHUNK_HEADER_LENGTH + Integer.toUnsignedLong(h.getInt(8));
            if (end > size) {
                visitor.tornTail(pos, "the chunk at " + pos + " ends at " + end + ", after the file's end at " + size);
                return;
            }
            readRecords(in, pos + CHUNK_HEADER_LENGTH, count, end, new BatchVisitor() {
                @Override
                public void notABatch(String reason) {
                    visitor.notABatch(reason);
                }

                @Override
                public void unreadableFrom(long position, String reason) {
                    visitor.unreadable(position, end - position, reason); // the next chunk is still read
                }

                @Override
                public void live(long start, int length, Meta meta) {
                    visitor.live(start, length, meta);
                }

                @Override
                public void damaged(long start, int length, String reason) {
                    visitor.damaged(start, length, reason);
                }
            });
            pos = end;
        }
    }

    /** {@code count} records from {@code pos}, none past {@code end}; a damaged rest is reported, not thrown. */
    private static void readRecords(PositionalReader in, long pos, int count, long end, BatchVisitor visitor)
            throws IOException {
        for (int i = 0; i < count; i++) {
            ByteBuffer prefix = in.read(pos, RECORD_PREFIX_LENGTH);
            int length = prefix.remaining() == RECORD_PREFIX_LENGTH ? prefix.getInt(0) : -1;
            if (length < HEADER_LENGTH || pos + RECORD_PREFIX_LENGTH + length > end) {
                visitor.unreadableFrom(pos, "entry " + i + " of " + count + " has an impossible length " + length
                        + "; the rest of the batch is unreadable");
                return;
            }
            byte state = prefix.get(4);
            long start = pos + RECORD_PREFIX_LENGTH;
            pos = start + length;
            if (state != LIVE) {
                continue; // Delivered, moved or quarantined before.
            }
            try {
                visitor.live(start, length, readMeta(in, start, length));
            } catch (CorruptEntryException e) {
                visitor.damaged(start, length, e.getMessage());
            }
        }
    }

    /** Reads and checks the header and meta of the entry of {@code length} bytes at {@code start}, not its body. */
    static Meta readMeta(PositionalReader in, long start, long length) throws IOException, CorruptEntryException {
        ByteBuffer h = in.read(start, HEADER_LENGTH);
        Header header = readHeader(Arrays.copyOf(h.array(), h.remaining()), length);
        ByteBuffer prefix = in.read(start, HEADER_LENGTH + header.metaLength());
        return decodeMeta(header, Arrays.copyOf(prefix.array(), prefix.remaining()), HEADER_LENGTH);
    }

    public static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    private static final class Out {
        private final ByteArrayOutputStream bytes;
        private final DataOutputStream data;

        Out(int sizeHint) {
            bytes = new ByteArrayOutputStream(sizeHint);
            data = new DataOutputStream(bytes);
        }

        void u8(int v) {
            run(() -> data.writeByte(v));
        }

        void i32(int v) {
            run(() -> data.writeInt(v));
        }

        void i64(long v) {
            run(() -> data.writeLong(v));
        }

        void str(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            run(() -> {
                data.writeInt(utf8.length);
                data.write(utf8);
            });
        }

        void bytes(byte[] b) {
            run(() -> {
                data.writeInt(b.length);
                data.write(b);
            });
        }

        void optionalStr(String s) {
            u8(s == null ? 0 : 1);
            if (s != null) {
                str(s);
            }
        }

        void address(MailAddress a) {
            str(a.address());
            str(a.displayName());
        }

        void optionalAddress(MailAddress a) {
            u8(a == null ? 0 : 1);
            if (a != null) {
                address(a);
            }
        }

        void addresses(List<MailAddress> list) {
            i32(list.size());
            list.forEach(this::address);
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }

        private interface Write {
            void run() throws IOException;
        }

        private static void run(Write w) {
            try {
                w.run();
            } catch (IOException e) {
                throw new UncheckedIOException("writing to memory cannot fail", e);
            }
        }
    }

    private static final class In {
        private final ByteBuffer b;

        In(byte[] bytes, int offset, int length) {
            b = ByteBuffer.wrap(bytes, offset, length).slice();
        }

        byte u8() {
            return b.get();
        }

        int i32() {
            return b.getInt();
        }

        long i64() {
            return b.getLong();
        }

        int count() {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("count " + n + " out of range");
            }
            return n;
        }

        String str() {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("string length " + n + " out of range");
            }
            byte[] utf8 = new byte[n];
            b.get(utf8);
            return new String(utf8, StandardCharsets.UTF_8);
        }

        String optionalStr() {
            return flag() ? str() : null;
        }

        int peekI32() {
            return b.remaining() >= 4 ? b.getInt(b.position()) : 0;
        }

        /** A layout-2 body: null, a String, or a {@link BodySlice} of the rendered bytes that follow. */
        Object body() {
            byte kind = b.get();
            switch (kind) {
                case NO_BODY:
                    return null;
                case INLINE_BODY:
                    return str();
                case SLICED_BODY:
                    int offset = b.getInt();
                    int length = b.getInt();
                    byte flags = b.get();
                    if ((flags & ~3) != 0) {
                        throw new IllegalArgumentException("body flags " + flags);
                    }
                    return new BodySlice(offset, length, (flags & 1) != 0, (flags & 2) != 0);
                default:
                    throw new IllegalArgumentException("body kind " + kind);
            }
        }

        boolean hasRemaining() {
            return b.hasRemaining();
        }

        byte[] bytes() {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("length " + n + " out of range");
            }
            byte[] bytes = new byte[n];
            b.get(bytes);
            return bytes;
        }

        MailAddress address() {
            // The canonical constructor: the address was validated when the mail was built; a stricter parser in a
            // later version must not quarantine mail that was already accepted.
            return new MailAddress(str(), str());
        }

        MailAddress optionalAddress() {
            return flag() ? address() : null;
        }

        List<MailAddress> addresses() {
            int n = count();
            List<MailAddress> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(address());
            }
            return list;
        }

        void end() {
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " unexpected trailing bytes");
            }
        }

        private boolean flag() {
            byte f = b.get();
            if (f != 0 && f != 1) {
                throw new IllegalArgumentException("flag byte " + f);
            }
            return f == 1;
        }
    }
}
