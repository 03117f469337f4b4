package io.github.outboundrelay.common;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals message bodies before a spool writes them, so that the spool files, a database table or a backup of either
 * do not hold the reset and action links the mail carries: AES-GCM with a random 96-bit nonce per body, the key's
 * id stored beside the ciphertext (keys rotate), and the entry's id as associated data, so a body copied into
 * another entry, altered, or sealed with another key fails to open instead of being sent. {@link #NONE} stores
 * bodies as they are.
 *
 * <p>Bodies written before encryption was turned on stay readable: {@link #open} returns bytes that were never
 * sealed as they are (a sealed body starts with a magic number no unsealed body can start with). So someone who can
 * write the spool can still add an unsealed entry; what sealing protects is what is already there.
 *
 * <p><b>Format</b> of a sealed body: {@code int32 magic 0x4F524531 ("ORE1"), u8 n, n bytes key id (ASCII),
 * 12 bytes nonce, ciphertext with its 16-byte tag}. The associated data is the caller's (the entry id) followed by
 * everything before the ciphertext.
 *
 * <pre>{@code
 * BodyCipher cipher = BodyCipher.aesGcm(keys);
 * byte[] stored = cipher.seal(body, entryId.getBytes(UTF_8));
 * byte[] again = cipher.open(stored, entryId.getBytes(UTF_8));   // IllegalArgumentException if altered
 * }</pre>
 */
public final class BodyCipher {
    /** Stores bodies unsealed; opens only bodies that were never sealed. */
    public static final BodyCipher NONE = new BodyCipher(null);

    static final int MAGIC = 0x4F524531;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.spool");

    private final BodyKeys keys;
    private final AtomicBoolean warnedNoKey = new AtomicBoolean();

    private BodyCipher(BodyKeys keys) {
        this.keys = keys;
    }

    /** Seals with the platform's current key; opens with the key each body names. */
    public static BodyCipher aesGcm(BodyKeys keys) {
        return new BodyCipher(Objects.requireNonNull(keys, "keys"));
    }

    /** Whether bodies are sealed (when the platform has a key). */
    public boolean seals() {
        return keys != null;
    }

    /**
     * The body as it should be stored: sealed with the current key, or unchanged when there is no cipher or no key
     * (logged once).
     *
     * @param associatedData what the body belongs to (the entry's id): opening needs the same bytes
     */
    public byte[] seal(byte[] body, byte[] associatedData) {
        if (keys == null) {
            return body;
        }
        BodyKeys.Key key = keys.current().orElse(null);
        if (key == null) {
            if (warnedNoKey.compareAndSet(false, true)) {
                LOGGER.log(System.Logger.Level.WARNING, "Spooled mail bodies are stored unencrypted: the platform has no "
                        + "key for them now (see docs/reliability.md, \"Mail at rest\")");
            }
            return body;
        }
        byte[] id = key.id().getBytes(StandardCharsets.US_ASCII);
        byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        ByteBuffer header = ByteBuffer.allocate(4 + 1 + id.length + NONCE_LENGTH);
        header.putInt(MAGIC).put((byte) id.length).put(id).put(nonce);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData);
            cipher.updateAAD(header.array());
            byte[] sealed = Arrays.copyOf(header.array(), header.capacity() + cipher.getOutputSize(body.length));
            int written = cipher.doFinal(body, 0, body.length, sealed, header.capacity());
            return Arrays.copyOf(sealed, header.capacity() + written);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a mail body with key " + key.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The body as it was before {@link #seal}; bytes that were never sealed are returned as they are.
     *
     * @throws IllegalArgumentException when the body cannot be opened: altered, moved from another entry, sealed with
     *                                  a key that no longer exists, or sealed while this cipher has no keys. The
     *                                  message says which, never a byte of the body
     * @throws RuntimeException         what {@link BodyKeys#find} throws when the key store cannot be reached
     */
    public byte[] open(byte[] stored, byte[] associatedData) {
        if (!isSealed(stored)) {
            return stored;
        }
        int idLength = stored.length > 4 ? stored[4] & 0xFF : 0;
        int headerLength = 4 + 1 + idLength + NONCE_LENGTH;
        if (idLength == 0 || stored.length < headerLength + TAG_BITS / 8) {
            throw new IllegalArgumentException("sealed body truncated: " + stored.length + " bytes");
        }
        String id = new String(stored, 5, idLength, StandardCharsets.US_ASCII);
        if (keys == null) {
            throw new IllegalArgumentException("the body is encrypted (key " + id + ") but this spool has no keys");
        }
        BodyKeys.Key key = keys.find(id).orElseThrow(() -> new IllegalArgumentException("the body was encrypted with key "
                + id + ", which no longer exists (deleted after a rotation?)"));
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, stored, 5 + idLength, NONCE_LENGTH));
            cipher.updateAAD(associatedData);
            cipher.updateAAD(stored, 0, headerLength);
            return cipher.doFinal(stored, headerLength, stored.length - headerLength);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("the encrypted body failed authentication with key " + id
                    + ": it was altered, or belongs to another entry");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the encrypted body cannot be opened with key " + id + ": " + e.getMessage(), e);
        }
    }

    /** Whether these stored bytes are a sealed body. */
    public static boolean isSealed(byte[] stored) {
        return stored.length >= 4 && ByteBuffer.wrap(stored, 0, 4).getInt() == MAGIC;
    }

    @Override
    public String toString() {
        return keys == null ? "BodyCipher[none]" : "BodyCipher[AES-GCM]";
    }
}
