package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.ui.extend.UiTabProvider;
import org.keycloak.vault.VaultStringSecret;

/**
 * Reads what a realm's mail goes out with, from Keycloak's storage: the Email tab's map, the Outbound relay tab's
 * component, and secrets through Keycloak's vault. Runs on the request's thread, where the session is open.
 */
final class RealmSettingsReader {
    private RealmSettingsReader() {
    }

    /**
     * @param smtp the Email tab's map: the realm's saved one, or the one the console proposes
     * @throws InvalidInputException naming the Email tab or Outbound relay tab field to fix
     */
    static RelayConfiguration read(KeycloakSession session, RealmModel realm, Map<String, String> smtp, ServerOptions server) {
        RelayConfiguration configuration = SmtpServerMapping.read(smtp, vault(session), server, tabOptions(realm));
        return configuration.withBounces(bounceOptions(session, realm, server));
    }

    /** The realm's bounce mailbox from its Outbound relay tab, the password resolved through the vault. */
    static BounceOptions bounceOptions(KeycloakSession session, RealmModel realm, ServerOptions server) {
        if (realm == null) {
            return BounceOptions.NONE;
        }
        return tabComponent(realm)
                .map(component -> BounceOptions.parse(component.getConfig(), vault(session), server.trust()))
                .orElse(BounceOptions.NONE);
    }

    /** The realm's saved Outbound relay tab, or the defaults when it was never saved. */
    static RealmRelayOptions tabOptions(RealmModel realm) {
        if (realm == null) {
            return RealmRelayOptions.DEFAULTS;
        }
        return tabComponent(realm)
                .map(component -> RealmRelayOptions.parse(component.getConfig()))
                .orElse(RealmRelayOptions.DEFAULTS);
    }

    static java.util.Optional<ComponentModel> tabComponent(RealmModel realm) {
        return realm.getComponentsStream(realm.getId(), UiTabProvider.class.getName())
                .filter(component -> OutboundRelayTab.ID.equals(component.getProviderId()))
                .findFirst();
    }

    /** A vault reference such as {@code ${vault.smtp-password}} becomes its value; anything else stays as it is. */
    static UnaryOperator<String> vault(KeycloakSession session) {
        return raw -> {
            try (VaultStringSecret secret = session.vault().getStringSecret(raw)) {
                return secret.get().orElse(raw);
            }
        };
    }
}
