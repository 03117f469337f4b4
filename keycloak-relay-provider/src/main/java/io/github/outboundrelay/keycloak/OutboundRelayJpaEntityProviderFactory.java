package io.github.outboundrelay.keycloak;

import org.keycloak.Config;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProvider;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * Adds {@code OUTBOUND_RELAY_MAIL} and {@code OUTBOUND_RELAY_THROTTLE} to Keycloak's database, the way Keycloak
 * extensions add tables: Keycloak applies the changelog at startup (its own change-log table for this id) on every
 * database, dev-file included; the queue uses the tables only when it keeps mail in the database.
 */
public final class OutboundRelayJpaEntityProviderFactory implements JpaEntityProviderFactory {
    public static final String ID = "outbound-relay";
    private static final OutboundRelayJpaEntityProvider PROVIDER = new OutboundRelayJpaEntityProvider();

    @Override
    public JpaEntityProvider create(KeycloakSession session) {
        return PROVIDER;
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return ID;
    }
}
