package io.github.outboundrelay.keycloak;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The stored form of a mail's rendering in {@code OUTBOUND_RELAY_MAIL.RENDERED}, before it is sealed: the bytes behind
 * a magic number, their length and a CRC32C, as {@code MessageCodec} stores the message beside it. Sealed bytes are
 * checked by their cipher already; the checksum is for realms without a key, so that damaged bytes are rendered
 * again from the message instead of sent garbled.
 *
 * <p>Format: {@code int32 magic 0x4F525231 ("ORR1"), int32 length, int32 CRC32C of the bytes, the bytes}.
 */
final class StoredRendering {
    private static final int MAGIC = 0x4F525231;
    private static final int PREFIX = 12;

    private StoredRendering() {
    }

    static byte[] encode(byte[] rendered) {
        return ByteBuffer.allocate(PREFIX + rendered.length)
                .putInt(MAGIC).putInt(rendered.length).putInt(crc(rendered, 0, rendered.length))
                .put(rendered).array();
    }

    /** @throws IllegalArgumentException when the bytes are not a stored rendering, saying what is wrong with them */
    static byte[] decode(byte[] stored) {
        if (stored.length < PREFIX) {
            throw new IllegalArgumentException("stored rendering truncated: " + stored.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(stored);
        if (in.getInt() != MAGIC) {
            throw new IllegalArgumentException("not a stored rendering (unknown magic)");
        }
        int length = in.getInt();
        int crc = in.getInt();
        if (length != stored.length - PREFIX) {
            throw new IllegalArgumentException("stored rendering truncated. Expected length: " + length + ", actual: "
                    + (stored.length - PREFIX));
        }
        if (crc(stored, PREFIX, length) != crc) {
            throw new IllegalArgumentException("stored rendering checksum mismatch");
        }
        return Arrays.copyOfRange(stored, PREFIX, stored.length);
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
