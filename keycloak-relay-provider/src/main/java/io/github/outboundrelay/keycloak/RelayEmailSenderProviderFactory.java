package io.github.outboundrelay.keycloak;

import java.nio.file.Path;
import java.util.List;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.email.EmailSenderProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * The email-sender SPI implementation {@value #ID}. Enable it with {@code --spi-email-sender--provider=relay};
 * without that option Keycloak keeps its default sender (and the diagnostics resource still works).
 * Server-wide options are {@code --spi-email-sender--relay--KEY=VALUE}, listed by {@link #getConfigMetadata()}.
 */
public final class RelayEmailSenderProviderFactory implements EmailSenderProviderFactory {
    public static final String ID = "relay";
    private static final Logger LOG = Logger.getLogger(RelayEmailSenderProviderFactory.class);

    private ServerOptions server;
    private RealmRelays relays;

    @Override
    public EmailSenderProvider create(KeycloakSession session) {
        return new RelayEmailSenderProvider(session, server, relays);
    }

    @Override
    public void init(Config.Scope config) {
        // A bad option stops Keycloak at startup with the option's name, rather than failing the first login mail.
        server = ServerOptions.parse(config::get, Path.of(System.getProperty("kc.home.dir", ".")).toAbsolutePath().normalize());
        relays = new RealmRelays();
        LOG.infof("Outbound relay provider ready: trust %s, %d pin(s), spool %s (durable queue not installed in this "
                        + "build: mail is handed to %d delivery thread(s) per realm, one attempt each)",
                server.trust().source(), server.pins().size(), server.spoolDir(), server.deliveryThreads());
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        // A deleted realm's relay lets go of its connections and threads.
        factory.register(event -> {
            if (event instanceof RealmModel.RealmRemovedEvent removed) {
                relays.remove(removed.getRealm().getId());
            }
        });
    }

    @Override
    public void close() {
        if (relays != null) {
            relays.close();
        }
    }

    @Override
    public String getId() {
        return ID;
    }

    ServerOptions serverOptions() {
        return server;
    }

    RealmRelays relays() {
        return relays;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name(ServerOptions.SPOOL_DIR).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Directory of the durable mail queue. Default: data/outbound-relay/spool under Keycloak's home.")
                .add()
                .property().name(ServerOptions.RATE_LIMIT_PER_MINUTE).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_RATE_LIMIT_PER_MINUTE)
                .helpText("Mails per minute per realm, unless the realm's Outbound relay tab sets its own; 0 for no limit.")
                .add()
                .property().name(ServerOptions.RETRY_LIFETIME_HOURS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_RETRY_LIFETIME_HOURS)
                .helpText("Hours a mail is retried before it becomes a dead letter, unless the realm sets its own.")
                .add()
                .property().name(ServerOptions.FALLBACK_RELAYS).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated host:port relays tried, with the realm's credentials, when its relay fails.")
                .add()
                .property().name(ServerOptions.TRUST_BUNDLE).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("PEM file of the CA certificates relays may present. Default: the JVM's trust store, which "
                        + "includes Keycloak's --truststore-paths.")
                .add()
                .property().name(ServerOptions.CERTIFICATE_PINS).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated sha256/BASE64 public-key pins every relay must match, besides a trusted chain.")
                .add()
                .property().name(ServerOptions.MASK_RECIPIENTS).type(ProviderConfigProperty.BOOLEAN_TYPE)
                .defaultValue(true)
                .helpText("Mask recipient addresses in logs and delivery events (a***@example.com), unless a realm turns it off.")
                .add()
                .property().name(ServerOptions.ALLOW_CREDENTIALS_OVER_PLAINTEXT).type(ProviderConfigProperty.BOOLEAN_TYPE)
                .defaultValue(false)
                .helpText("Let AUTH cross an unencrypted connection. Only for a relay on this host.")
                .add()
                .property().name(ServerOptions.HELO_NAME).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("The name given in EHLO. Default: this host's name.")
                .add()
                .property().name(ServerOptions.MAX_CONNECTIONS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_MAX_CONNECTIONS)
                .helpText("Open connections kept to each realm's relay and reused for the next mails.")
                .add()
                .property().name(ServerOptions.DELIVERY_THREADS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_DELIVERY_THREADS)
                .helpText("Threads per realm that talk to the relay, off the login request's thread.")
                .add()
                .property().name(ServerOptions.HAND_OVER_CAPACITY).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_HAND_OVER_CAPACITY)
                .helpText("Mails per realm waiting for a delivery thread before new ones are refused with an error.")
                .add()
                .build();
    }
}
