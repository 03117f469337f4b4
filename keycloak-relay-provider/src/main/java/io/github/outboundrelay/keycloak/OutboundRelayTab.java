package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.List;
import java.util.Map;
import org.keycloak.Config;
import org.keycloak.component.ComponentModel;
import org.keycloak.component.ComponentValidationException;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.services.ui.extend.UiTabProvider;
import org.keycloak.services.ui.extend.UiTabProviderFactory;

/**
 * The "Outbound relay" tab under Realm settings: what the Email tab lacks. The admin console renders it from
 * {@link #getConfigProperties()} and stores it as a realm component (so realm export and import carry it); saving
 * needs manage-realm, as for every component. Needs Keycloak's {@code declarative-ui} feature
 * ({@code --features=declarative-ui}).
 */
public final class OutboundRelayTab implements UiTabProvider, UiTabProviderFactory<ComponentModel> {
    /** The tab's title, and the component's provider id. */
    public static final String ID = "Outbound relay";
    static final String ROUTE_TAB = "outbound-relay";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public String getHelpText() {
        return "Rate limit, fallback relay, certificate pin, retry lifetime, recipient masking, allowed recipient domains "
                + "and the bounce mailbox for this realm's mail. "
                + "Diagnostics: POST /admin/realms/{realm}/outbound-relay/probe, GET .../status, .../metrics, .../events and "
                + ".../dead-letters.";
    }

    @Override
    public String getPath() {
        return "/:realm/realm-settings/:tab?";
    }

    @Override
    public Map<String, String> getParams() {
        return Map.of("tab", ROUTE_TAB);
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return ProviderConfigurationBuilder.create()
                .property().name(RealmRelayOptions.RATE_LIMIT_PER_MINUTE).label("Rate limit (mails per minute)")
                .type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("The most mails this realm sends per minute; the relay's own limit, such as 30 for a Microsoft 365 "
                        + "mailbox. 0 for no limit; empty for the server's default.")
                .add()
                .property().name(RealmRelayOptions.FALLBACK_RELAY).label("Fallback relay")
                .type(ProviderConfigProperty.STRING_TYPE)
                .helpText("host:port of a second relay, tried with the same credentials (and certificate pins) while the Email "
                        + "tab's relay is failing. With credentials, only a relay the server's operator listed in credential-hosts.")
                .add()
                .property().name(RealmRelayOptions.CERTIFICATE_PIN).label("Certificate pin")
                .type(ProviderConfigProperty.STRING_TYPE)
                .helpText("sha256/BASE64 hash of the relay's public key, checked besides the certificate chain. The probe "
                        + "report prints it. Empty: no pin.")
                .add()
                .property().name(RealmRelayOptions.RETRY_LIFETIME_HOURS).label("Retry lifetime (hours)")
                .type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("How long a mail the relay did not take is retried before it becomes a dead letter. Empty for "
                        + "the server's default.")
                .add()
                .property().name(RealmRelayOptions.MASK_RECIPIENTS).label("Mask recipients in logs")
                .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("true")
                .helpText("Show recipient addresses as a***@example.com in Keycloak's log and the delivery events.")
                .add()
                .property().name(RealmRelayOptions.ALLOWED_RECIPIENT_DOMAINS).label("Allowed recipient domains")
                .type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated domains this realm's mail may go to, such as example.com or *.example.com for "
                        + "its subdomains; mail to any other address is refused and not queued. Empty: wherever the server "
                        + "allows. Only narrows the server's own list, never widens it.")
                .add()
                // The bounce mailbox (docs/bounces.md): the relay's bounce reports arrive at the Email tab's Envelope From.
                .property().name(BounceOptions.HOST).label("Bounce mailbox IMAP host")
                .type(ProviderConfigProperty.STRING_TYPE)
                .helpText("IMAP server of the mailbox the relay's bounce reports arrive in (the Email tab's Envelope From), "
                        + "such as outlook.office365.com. Empty: no mailbox is read; the suppression list changes by hand only.")
                .add()
                .property().name(BounceOptions.PORT).label("Bounce mailbox port")
                .type(ProviderConfigProperty.INTEGER_TYPE)
                .helpText("993 for implicit TLS, 143 for STARTTLS; empty for the TLS mode's usual port.")
                .add()
                .property().name(BounceOptions.TLS_MODE).label("Bounce mailbox TLS")
                .type(ProviderConfigProperty.LIST_TYPE).options("implicit", "starttls").defaultValue("implicit")
                .helpText("implicit (993) or starttls (143, then required). Always TLS, with the server's trust settings "
                        + "and hostname verification.")
                .add()
                .property().name(BounceOptions.USER).label("Bounce mailbox user")
                .type(ProviderConfigProperty.STRING_TYPE)
                .add()
                .property().name(BounceOptions.PASSWORD).label("Bounce mailbox password")
                .type(ProviderConfigProperty.PASSWORD).secret(true)
                .helpText("Password or app password, or a vault reference such as ${vault.bounce-password}. Stored as a "
                        + "secret: never shown again.")
                .add()
                .property().name(BounceOptions.FOLDER).label("Bounce mailbox folder")
                .type(ProviderConfigProperty.STRING_TYPE).defaultValue("INBOX")
                .add()
                .property().name(BounceOptions.DISPOSITION).label("Processed reports")
                .type(ProviderConfigProperty.LIST_TYPE).options("flag", "move", "delete").defaultValue("flag")
                .helpText("flag: mark read and keep; move: to the folder below; delete: delete them.")
                .add()
                .property().name(BounceOptions.MOVE_TO).label("Move processed reports to")
                .type(ProviderConfigProperty.STRING_TYPE)
                .add()
                .property().name(BounceOptions.POLL_MINUTES).label("Read the bounce mailbox every (minutes)")
                .type(ProviderConfigProperty.INTEGER_TYPE).defaultValue(String.valueOf(BounceOptions.DEFAULT_POLL_MINUTES))
                .add()
                .property().name(BounceOptions.MARK_UNVERIFIED).label("Unverify suppressed emails")
                .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("true")
                .helpText("When an address is suppressed (hard bounce or complaint), turn off 'email verified' for the "
                        + "realm's users with that email, and record an admin event.")
                .add()
                .property().name(BounceOptions.VERP).label("VERP envelope sender")
                .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false")
                .helpText("Send each mail from bounces+user=domain@ your envelope sender, so a report is matched to "
                        + "the recipient it came back for even when it names another address. The bounce mailbox must "
                        + "accept plus addresses (Microsoft 365, Google, Postfix recipient_delimiter).")
                .add()
                .build();
    }

    /**
     * Refuses a bad value on save, naming the field; the console shows the message. A fallback relay that would get
     * the Email tab's credentials must be one the server trusts with them ({@link RealmRelayOptions#fallbackRefusal}).
     */
    @Override
    public void validateConfiguration(KeycloakSession session, RealmModel realm, ComponentModel model)
            throws ComponentValidationException {
        try {
            RealmRelayOptions options = RealmRelayOptions.parse(model.getConfig());
            Map<String, String> smtp = realm.getSmtpConfig();
            ServerOptions server = RelayEmailSenderProviderFactory.of(session.getKeycloakSessionFactory()).serverOptions();
            BounceOptions.parse(model.getConfig(), RealmSettingsReader.vault(session), server.trust());
            ComponentModel saved = model.getId() == null ? null : realm.getComponent(model.getId());
            BounceOptions.passwordMoved(saved == null ? null : saved.getConfig(), model.getConfig()).ifPresent(refused -> {
                throw refused;
            });
            options.fallbackRefusal(server, smtp != null && SmtpServerMapping.authenticates(smtp)).ifPresent(refused -> {
                throw refused;
            });
        } catch (InvalidInputException e) {
            throw new ComponentValidationException(e.getMessage());
        }
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
}
