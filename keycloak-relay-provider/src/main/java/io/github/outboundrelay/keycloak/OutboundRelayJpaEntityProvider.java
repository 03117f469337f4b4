package io.github.outboundrelay.keycloak;

import java.util.List;
import org.keycloak.connections.jpa.entityprovider.JpaEntityProvider;

/** The queue's and the bounce handling's tables, for Keycloak's JPA: its entities, and the Liquibase changelog Keycloak runs at startup. */
final class OutboundRelayJpaEntityProvider implements JpaEntityProvider {
    static final String CHANGELOG = "META-INF/outbound-relay-changelog.xml";

    @Override
    public List<Class<?>> getEntities() {
        return List.of(QueuedMailEntity.class, ThrottleBudgetEntity.class, SuppressionEntity.class,
                SuppressionRevisionEntity.class, BounceLeaseEntity.class, BounceCountEntity.class);
    }

    @Override
    public String getChangelogLocation() {
        return CHANGELOG;
    }

    @Override
    public String getFactoryId() {
        return OutboundRelayJpaEntityProviderFactory.ID;
    }

    @Override
    public void close() {
    }
}
