package io.github.outboundrelay.keycloak;

import org.jboss.logging.Logger;

/**
 * Puts {@link RelayMeters} into Keycloak's metrics registry: Micrometer's global registry, which Quarkus makes the
 * root of its registries (the Prometheus one behind {@code /metrics} among them). Keycloak 26 always ships Micrometer;
 * should a distribution leave it out, the provider works without meters rather than failing to start, which is why
 * the factory reaches {@link RelayMeters} only through here.
 */
final class KeycloakMeters {
    private static final Logger LOG = Logger.getLogger(KeycloakMeters.class);

    private KeycloakMeters() {
    }

    /** The realms' meters, kept in step with {@code relays}; null when this Keycloak has no Micrometer. */
    static AutoCloseable start(RealmRelays relays) {
        try {
            return new RelayMeters(io.micrometer.core.instrument.Metrics.globalRegistry, relays).start();
        } catch (LinkageError e) {
            LOG.infof("Outbound relay: no Micrometer in this Keycloak (%s); the queue's figures are only in the "
                    + "diagnostics resource", e.toString());
            return null;
        }
    }

    static void realmRemoved(AutoCloseable meters) {
        if (meters instanceof RelayMeters m) {
            m.realmRemoved();
        }
    }

    static void close(AutoCloseable meters) {
        if (meters instanceof RelayMeters m) {
            m.close();
        }
    }
}
