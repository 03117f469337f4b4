package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link RealmRelay} per realm, rebuilt when the realm's {@link RelayConfiguration} changes. Each realm keeps one
 * delivery log and one set of counters for the life of the server, across rebuilds. Thread-safe; lives in the
 * provider factory, so one per Keycloak node.
 */
final class RealmRelays implements AutoCloseable {
    /** How long Keycloak's shutdown waits for mail already handed over. */
    private static final long SHUTDOWN_WAIT_MILLIS = 5_000;

    private final ConcurrentHashMap<String, RealmRelay> relays = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, DeliveryLog> logs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, RealmCounters> counters = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** The realm's relay for this configuration, building it (and retiring the old one) if the settings changed. */
    RealmRelay forRealm(String realmId, String realmName, RelayConfiguration configuration) {
        RealmRelay current = relays.get(realmId);
        if (current != null && current.configuration().equals(configuration)) {
            return current; // the common case: no lock, no allocation
        }
        return relays.compute(realmId, (id, existing) -> {
            if (existing != null && existing.configuration().equals(configuration)) {
                return existing;
            }
            RealmRelay next = new RealmRelay(realmName, configuration, deliveryLog(id), counters(id));
            if (existing != null) {
                existing.retire(); // returns at once: what it holds is still attempted, on its old settings
            }
            return next;
        });
    }

    /** Hands a login-flow mail to the realm's relay; see {@link RealmRelay#deliver}. */
    void deliver(String realmId, String realmName, RelayConfiguration configuration, OutboundMessage message)
            throws RelayBusyException {
        // A relay retired between lookup and hand-over (a settings change racing this mail) refuses; ask again.
        while (!forRealm(realmId, realmName, configuration).deliver(message)) {
            if (closed) {
                throw new RelayBusyException("Keycloak is shutting down: mail for realm " + realmName + " was not taken");
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Sends synchronously. Settings the realm uses already go through its pooled relay; proposed settings (the
     * console testing an unsaved form) get a client of their own, so a test never replaces the realm's relay.
     */
    Receipt sendNow(String realmId, RelayConfiguration configuration, OutboundMessage message) throws DeliveryException {
        RealmRelay current = relays.get(realmId);
        if (current != null && current.configuration().equals(configuration)) {
            return current.sendNow(message);
        }
        try (RelayClient client = RelayClient.create(configuration.settings(), deliveryLog(realmId))) {
            return client.send(message);
        }
    }

    /** The realm was deleted: its relay finishes what it holds, then closes; its log and counters go. */
    void remove(String realmId) {
        RealmRelay relay = relays.remove(realmId);
        if (relay != null) {
            relay.retire();
        }
        logs.remove(realmId);
        counters.remove(realmId);
    }

    Optional<RealmRelay> current(String realmId) {
        return Optional.ofNullable(relays.get(realmId));
    }

    DeliveryLog deliveryLog(String realmId) {
        return logs.computeIfAbsent(realmId, id -> new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY));
    }

    RealmCounters counters(String realmId) {
        return counters.computeIfAbsent(realmId, id -> new RealmCounters());
    }

    @Override
    public void close() {
        closed = true;
        relays.values().forEach(RealmRelay::retire);
        relays.values().forEach(r -> r.retireAndWait(SHUTDOWN_WAIT_MILLIS));
        relays.clear();
    }
}
