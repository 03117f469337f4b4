package org.keycloak.connections.jpa.entityprovider;

import java.util.List;
import org.keycloak.provider.Provider;

/** Stand-in for keycloak-model-jpa 26.7.3 {@code model/jpa/.../entityprovider/JpaEntityProvider.java}. */
public interface JpaEntityProvider extends Provider {
    List<Class<?>> getEntities();

    String getChangelogLocation();

    String getFactoryId();
}
