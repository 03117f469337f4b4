package io.github.outboundrelay.common;

import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.spec.SecretKeySpec;

/** Keys a test holds in memory: what Jenkins's secrets directory or a realm's key store give the spool in production. */
public final class FixedBodyKeys implements BodyKeys {
    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private volatile Key current;

    /** A store whose current key is a new random AES-256 key named {@code id}. */
    public static FixedBodyKeys withKey(String id) {
        FixedBodyKeys keys = new FixedBodyKeys();
        keys.rotateTo(id);
        return keys;
    }

    /** A new random key becomes current; the old ones stay findable, as after a key rotation. */
    public FixedBodyKeys rotateTo(String id) {
        byte[] material = new byte[32];
        new SecureRandom().nextBytes(material);
        Key key = new Key(id, new SecretKeySpec(material, "AES"));
        keys.put(id, key);
        current = key;
        return this;
    }

    /** The same store without one key, as after an administrator deleted it. */
    public FixedBodyKeys without(String id) {
        FixedBodyKeys copy = new FixedBodyKeys();
        copy.keys.putAll(keys);
        copy.keys.remove(id);
        copy.current = id.equals(current.id()) ? null : current;
        return copy;
    }

    @Override
    public Optional<Key> current() {
        return Optional.ofNullable(current);
    }

    @Override
    public Optional<Key> find(String id) {
        return Optional.ofNullable(keys.get(id));
    }
}
