package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.OutboundMessage;

import java.nio.ByteBuffer;

/**
 * The stored form of a queued message, for a {@link Spool} kept outside relay-common (a database table): the body
 * encoding of {@link FileSpool}'s entries ({@code SpoolEntryCodec}) behind a magic number, its length and a CRC32C.
 * A stored message decodes to an equal message, Message-ID included, or not at all.
 *
 * <pre>{@code
 * byte[] stored = MessageCodec.encode(message);
 * OutboundMessage again = MessageCodec.decode(stored);   // IllegalArgumentException when damaged
 * }</pre>
 */
public final class MessageCodec {
    /** "ORM1"; a new layout gets a new magic. */
    private static final int MAGIC = 0x4F524D31;
    private static final int PREFIX = 12;

    private MessageCodec() {
    }

    public static byte[] encode(OutboundMessage message) {
        byte[] body = SpoolEntryCodec.encodeBody(message);
        return ByteBuffer.allocate(PREFIX + body.length)
                .putInt(MAGIC).putInt(body.length).putInt(SpoolEntryCodec.crc(body, 0, body.length))
                .put(body).array();
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a stored message (truncated, altered, another format),
     *                                  with what is wrong in its message
     */
    public static OutboundMessage decode(byte[] stored) {
        if (stored.length < PREFIX) {
            throw new IllegalArgumentException("stored message truncated: " + stored.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(stored);
        if (in.getInt() != MAGIC) {
            throw new IllegalArgumentException("not a stored message (unknown magic)");
        }
        int length = in.getInt();
        int crc = in.getInt();
        if (length != stored.length - PREFIX) {
            throw new IllegalArgumentException("stored message truncated. Expected length: " + length + ", actual: "
                    + (stored.length - PREFIX));
        }
        try {
            return SpoolEntryCodec.decodeBody(new SpoolEntryCodec.Header(0, length, 0, crc), stored, PREFIX);
        } catch (SpoolEntryCodec.CorruptEntryException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
