package org.keycloak.connections.jpa.entityprovider;

import org.keycloak.provider.ProviderFactory;

/** Stand-in for keycloak-model-jpa 26.7.3 {@code model/jpa/.../entityprovider/JpaEntityProviderFactory.java}. */
public interface JpaEntityProviderFactory extends ProviderFactory<JpaEntityProvider> {
}
