package org.keycloak.connections.jpa;

import java.sql.Connection;
import org.keycloak.provider.ProviderFactory;

/** Stand-in for keycloak-model-jpa 26.7.3 {@code model/jpa/.../connections/jpa/JpaConnectionProviderFactory.java}. */
public interface JpaConnectionProviderFactory extends ProviderFactory<JpaConnectionProvider> {
    Connection getConnection();

    String getSchema();
}
