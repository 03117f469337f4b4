package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BodyKeys;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * A realm's AES keys ({@code session.keys()}, use {@code ENC}, algorithm {@code AES}: the realm's "aes-generated"
 * provider unless an administrator added others) as the keys of its queued mail. They live in Keycloak's database,
 * so every node of a cluster has them and they survive restarts; a body names the key id (kid) it was sealed with,
 * so a rotation (a new active key) leaves older mail readable as long as the old key is kept (passive, not deleted).
 *
 * <p>Each lookup is a short transaction of its own; the active key is looked up again after {@link #REFRESH}, a key
 * found by id is kept (a kid's material never changes). Thread-safe.
 */
final class RealmBodyKeys implements BodyKeys {
    /** How long a rotation may take to reach the queue: new mail is sealed with the old key until then. */
    static final Duration REFRESH = Duration.ofMinutes(1);

    private final KeycloakSessionFactory factory;
    private final String realmId;
    private final Map<String, Key> byId = new ConcurrentHashMap<>();
    private Key current;        // guarded by this
    private long currentUntil;  // guarded by this; System.nanoTime()
    private boolean looked;     // guarded by this

    RealmBodyKeys(KeycloakSessionFactory factory, String realmId) {
        this.factory = factory;
        this.realmId = realmId;
    }

    @Override
    public synchronized Optional<Key> current() {
        long now = System.nanoTime();
        if (!looked || now - currentUntil >= 0) {
            // Keycloak creates a realm's first AES key when it has none, so this is empty only for a realm deleted meanwhile.
            current = lookup((session, realm) -> session.keys().getActiveKey(realm, KeyUse.ENC, Algorithm.AES));
            currentUntil = now + REFRESH.toNanos();
            looked = true;
            if (current != null) {
                byId.put(current.id(), current);
            }
        }
        return Optional.ofNullable(current);
    }

    @Override
    public Optional<Key> find(String id) {
        Key known = byId.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        Key found = lookup((session, realm) -> session.keys().getKey(realm, id, KeyUse.ENC, Algorithm.AES));
        if (found != null) {
            byId.put(id, found);
        }
        return Optional.ofNullable(found);
    }

    private Key lookup(BiFunction<KeycloakSession, RealmModel, KeyWrapper> query) {
        return KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                return null;
            }
            session.getContext().setRealm(realm);
            KeyWrapper key = query.apply(session, realm);
            return key == null || key.getSecretKey() == null ? null : new Key(key.getKid(), key.getSecretKey());
        });
    }
}
