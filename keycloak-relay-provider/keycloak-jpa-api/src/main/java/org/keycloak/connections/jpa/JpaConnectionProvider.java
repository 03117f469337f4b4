package org.keycloak.connections.jpa;

import jakarta.persistence.EntityManager;
import org.keycloak.provider.Provider;

/** Stand-in for keycloak-model-jpa 26.7.3 {@code model/jpa/.../connections/jpa/JpaConnectionProvider.java}. */
public interface JpaConnectionProvider extends Provider {
    EntityManager getEntityManager();
}
