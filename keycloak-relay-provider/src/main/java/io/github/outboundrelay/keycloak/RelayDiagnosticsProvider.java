package io.github.outboundrelay.keycloak;

import org.keycloak.Config;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * Mounts {@link RelayDiagnosticsResource} at {@code /admin/realms/{realm}/}{@value #ID}. Keycloak's admin root
 * authenticates the caller first (401 without a token); the resource then requires manage-realm (403).
 */
public final class RelayDiagnosticsProvider implements AdminRealmResourceProviderFactory, AdminRealmResourceProvider {
    public static final String ID = "outbound-relay";

    @Override
    public Object getResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                              AdminEventBuilder adminEvent) {
        RelayEmailSenderProviderFactory relay = RelayEmailSenderProviderFactory.of(session.getKeycloakSessionFactory());
        boolean relayActive = session.getProvider(EmailSenderProvider.class) instanceof RelayEmailSenderProvider;
        return new RelayDiagnosticsResource(session, realm, auth, adminEvent, relay.serverOptions(), relay.relays(),
                relayActive);
    }

    @Override
    public AdminRealmResourceProvider create(KeycloakSession session) {
        return this;
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
