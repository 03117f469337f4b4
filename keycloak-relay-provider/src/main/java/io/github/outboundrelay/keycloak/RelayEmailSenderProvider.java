package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RecipientMask;
import io.github.outboundrelay.common.RelaySettings;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.models.KeycloakContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * Keycloak's email sender, relayed: every mail Keycloak sends (verify email, reset password, execute actions, event
 * notifications) arrives here with the realm's Email tab settings. Login-flow mail is queued durably (on disk when
 * this method returns) and delivered by the realm's queue, so a slow or down relay never holds up the user's request
 * and never loses the mail; the admin console's "Test connection" waits for the relay's answer so that its result is
 * real. One instance per Keycloak session. A recipient outside the allowed domains (the server's and the realm's) is
 * refused before anything is queued or sent.
 */
final class RelayEmailSenderProvider implements EmailSenderProvider {
    private static final Logger LOG = Logger.getLogger(RelayEmailSenderProvider.class);
    private final KeycloakSession session;
    private final ServerOptions server;
    private final RealmRelays relays;

    RelayEmailSenderProvider(KeycloakSession session, ServerOptions server, RealmRelays relays) {
        this.session = session;
        this.server = server;
        this.relays = relays;
    }

    @Override
    public void send(Map<String, String> config, String address, String subject, String textBody, String htmlBody)
            throws EmailException {
        RealmModel realm = session.getContext().getRealm();
        boolean testConnection = isTestConnection(session);
        RelayConfiguration configuration;
        OutboundMessage message;
        try {
            configuration = testConnection ? testConnection(realm, config) : RealmSettingsReader.read(session, realm, config, server);
            RelaySettings settings = configuration.settings();
            message = OutboundMessage.builder()
                    .from(settings.from())
                    .to(SmtpServerMapping.recipient(address, settings.allowUtf8()))
                    .subject(subject == null ? "" : subject)
                    .text(textBody)
                    .html(htmlBody)
                    .build();
        } catch (InvalidInputException e) {
            // Shown to the admin console as it is: names the field and the fix, never a secret.
            throw new EmailException(e.getMessage(), e);
        }
        String realmId = realm == null ? "" : realm.getId();
        String realmName = realm == null ? "-" : realm.getName();
        try {
            configuration.realm().checkRecipient(message.to().get(0), server);
        } catch (InvalidInputException e) {
            String said = RecipientMask.asConfigured(configuration.settings(), e.getMessage());
            LOG.warnf("Realm %s: mail not sent and not queued: %s", realmName, said);
            throw new EmailException(said); // not e as the cause: its message holds the address unmasked
        }
        if (testConnection) {
            sendNow(realmId, configuration, message);
        } else {
            try {
                relays.deliver(realmId, realmName, configuration, message);
            } catch (MailNotQueuedException e) {
                throw new EmailException(e.getMessage(), e);
            }
        }
    }

    /**
     * The console's "Test connection" takes unsaved settings, so it follows the probe's rules: the saved secret only
     * where it was saved ({@link ProposedSettings#savedSecretLeaving}), only relays the realm saved or the server lists,
     * and the probe's timeouts ({@link ProbeLimits}).
     *
     * @throws InvalidInputException naming the field that makes the test refused
     */
    private RelayConfiguration testConnection(RealmModel realm, Map<String, String> config) {
        Map<String, String> saved = realm == null ? Map.of() : realm.getSmtpConfig();
        ProposedSettings.savedSecretLeaving(config, saved).ifPresent(refused -> {
            throw refused;
        });
        RelayConfiguration configuration = RealmSettingsReader.read(session, realm, ProposedSettings.withSavedSecrets(config, saved), server);
        ProbeLimits.refusal(configuration.settings(), saved, configuration.realm(), server).ifPresent(refused -> {
            throw refused;
        });
        return configuration.withSettings(ProbeLimits.capped(configuration.settings()));
    }

    private void sendNow(String realmId, RelayConfiguration configuration, OutboundMessage message) throws EmailException {
        try {
            relays.sendNow(realmId, configuration, message);
        } catch (DeliveryException e) {
            throw new EmailException(e.category() + ": " + e.remedy()
                    + " The Outbound relay diagnostics (admin REST .../outbound-relay/probe) show every step.", e);
        }
    }

    /**
     * Checks the Email tab when a realm is saved: the same reading as a send, without resolving vault secrets or
     * touching the network. A masked password ({@code **********}) is the stored one and passes, unless a field that
     * decides where it goes changed ({@link ProposedSettings#maskedSecretLeaving}): Keycloak would keep the stored
     * secret and send it there.
     */
    @Override
    public void validate(Map<String, String> config) throws EmailException {
        RealmModel realm = session.getContext().getRealm();
        try {
            SmtpServerMapping.read(config, UnaryOperator.identity(), server, RealmSettingsReader.tabOptions(realm));
            ProposedSettings.maskedSecretLeaving(config, realm == null ? Map.of() : realm.getSmtpConfig()).ifPresent(refused -> {
                throw refused;
            });
        } catch (InvalidInputException e) {
            throw new EmailException(e.getMessage(), e);
        }
    }

    /**
     * The console's "Test connection" ({@code POST /admin/realms/{realm}/testSMTPConnection}) calls the same send
     * as a login flow; only the request tells them apart. It must wait for the relay, or a wrong password would pass.
     */
    static boolean isTestConnection(KeycloakSession session) {
        try {
            KeycloakContext context = session.getContext();
            return context.getUri() != null && context.getUri().getPath().endsWith("/testSMTPConnection");
        } catch (RuntimeException e) {
            return false; // no HTTP request: a background task, never the console's test
        }
    }

    @Override
    public void close() {
    }
}
