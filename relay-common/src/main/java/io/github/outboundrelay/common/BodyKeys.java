package io.github.outboundrelay.common;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.SecretKey;

/**
 * Where the keys that seal spooled message bodies come from: the platform's own secret store, never relay-common.
 * Jenkins keeps one in {@code JENKINS_HOME/secrets}; Keycloak uses each realm's AES key, which every node of a cluster
 * reads from its database. Give it to a spool through {@link BodyCipher#aesGcm(BodyKeys)}.
 *
 * <p>Keys rotate: {@link #current()} may change at any time, and a body sealed earlier names its key's id, which
 * {@link #find} must still resolve while such bodies can exist (queued mail, dead letters within their retention).
 * Implementations are thread-safe and fast after the first call (cache what a database lookup returns).
 *
 * <pre>{@code
 * BodyKeys keys = new BodyKeys() {
 *     public Optional<Key> current() { return Optional.of(new Key("k1", secretKey)); }
 *     public Optional<Key> find(String id) { return id.equals("k1") ? current() : Optional.empty(); }
 * };
 * FileSpool spool = FileSpool.open(directory, BodyCipher.aesGcm(keys));
 * }</pre>
 */
public interface BodyKeys {

    /**
     * The key new bodies are sealed with, or empty when the platform has none at the moment (bodies are then stored
     * as they are, and the cipher says so in the log).
     *
     * @throws RuntimeException when the key store cannot be reached now (a database down): the caller fails, and
     *                          the mail is not stored in clear instead
     */
    Optional<Key> current();

    /**
     * The key with this id, for bodies sealed before a rotation; empty when no such key exists any more (the bodies
     * sealed with it cannot be read and are quarantined).
     *
     * @throws RuntimeException when the key store cannot be reached now: the entry is tried again later
     */
    Optional<Key> find(String id);

    /**
     * An AES key and the id stored beside every body sealed with it.
     *
     * @param id     1 to 255 bytes of printable ASCII, unique among the platform's keys
     * @param secret an AES key of 128, 192 or 256 bits
     */
    record Key(String id, SecretKey secret) {
        public Key {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(secret, "secret");
            byte[] ascii = id.getBytes(StandardCharsets.US_ASCII);
            if (ascii.length == 0 || ascii.length > 255 || !id.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                throw new IllegalArgumentException("a key id is 1 to 255 printable ASCII characters");
            }
            if (!"AES".equalsIgnoreCase(secret.getAlgorithm())) {
                throw new IllegalArgumentException("key " + id + " is a " + secret.getAlgorithm() + " key, not AES");
            }
        }

        /** The id only: a key's material never reaches a log line. */
        @Override
        public String toString() {
            return "Key[" + id + "]";
        }
    }
}
