package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.spool.SpoolException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.email.EmailSenderProvider;
import org.keycloak.email.EmailSenderProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.provider.Provider;
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
    private ClusterOptions cluster;
    private AtRestOptions atRest;
    private RealmRelays relays;
    private AutoCloseable meters; // RelayMeters, or nothing when Keycloak has no Micrometer
    private volatile KeycloakSessionFactory sessionFactory;
    private QueueStore store; // guarded by this; chosen on first use, once Keycloak's database is up

    /**
     * Keycloak closes a factory before the factories it depends on. This one's {@link #close()} still writes to
     * Keycloak's database (the bounce counts since the last flush, a database spool's last outcomes), and the JPA
     * factory's close closes the EntityManagerFactory: without this, Keycloak's shutdown closed them in map order and
     * the counts were lost ("EntityManagerFactory is closed", BounceCountsAtShutdownIT).
     */
    @Override
    public Set<Class<? extends Provider>> dependsOn() {
        return Set.of(JpaConnectionProvider.class);
    }

    @Override
    public EmailSenderProvider create(KeycloakSession session) {
        return new RelayEmailSenderProvider(session, server, relays);
    }

    @Override
    public void init(Config.Scope config) {
        // A bad option stops Keycloak at startup with the option's name, rather than failing the first login mail.
        server = ServerOptions.parse(config::get, Path.of(System.getProperty("kc.home.dir", ".")).toAbsolutePath().normalize());
        cluster = ClusterOptions.parse(config::get);
        // Each realm's mail is sealed with the realm's own AES key, which every node reads from the database.
        atRest = AtRestOptions.parse(config::get, realmId -> BodyCipher.aesGcm(new RealmBodyKeys(sessionFactory, realmId)));
        relays = new RealmRelays(configuration -> queueStore(), new KeycloakBounceSupport(() -> sessionFactory, cluster.bounceCountFlush()));
        meters = KeycloakMeters.start(relays);
        LOG.infof("Outbound relay provider ready: trust %s, %d pin(s), durable queue spooled under %s, "
                        + "default rate limit %d/min, retry lifetime %d h, %d fallback relay(s), at most %d mail(s) queued "
                        + "per realm, recipient domains %s, dead-letter bodies kept %d h",
                server.trust().source(), server.pins().size(), server.spoolDir(), server.rateLimitPerMinute(),
                server.retryLifetime().toHours(), server.fallbackRelays().size(), server.limits().maxQueuedPerRealm(),
                server.limits().allowedRecipientDomains().isEmpty() ? "any" : server.limits().allowedRecipientDomains(),
                atRest.deadLetterBodyRetention().toHours());
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        sessionFactory = factory;
        factory.register(event -> {
            if (event instanceof PostMigrationEvent) {
                QueueStore chosen = queueStore();
                LOG.infof("Outbound relay: mail queues in %s", chosen.describe());
                if (chosen instanceof DatabaseQueueStore database) {
                    // Every node delivers the cluster's mail, whichever node queued it.
                    database.discoverQueues(new QueueAdoption(factory, server, relays));
                } else {
                    // Mail queued before the last stop is delivered now, not when the realm next sends one.
                    try {
                        KeycloakModelUtils.runJobInTransaction(factory, this::resumeSpooledMail);
                    } catch (RuntimeException e) {
                        // Never a reason to stop Keycloak: each realm's queue also opens with its next mail.
                        LOG.warnf("Outbound relay: queued mail was not resumed at startup (%s); each realm's queue opens "
                                + "with its next mail", e);
                    }
                }
            } else if (event instanceof RealmModel.RealmRemovedEvent removed) {
                RealmModel realm = removed.getRealm();
                relays.remove(realm.getId(), realm.getName(), RealmSpools.directory(server.spoolDir(), realm.getId()));
                queueStore().forget(realm.getId());
                KeycloakMeters.realmRemoved(meters);
            }
        });
    }

    /** Where this node's queues keep their mail ({@link QueueStore#choose}), chosen once. */
    synchronized QueueStore queueStore() {
        if (store == null) {
            store = QueueStore.choose(cluster, server, atRest, new Database(sessionFactory), LOG);
        }
        return store;
    }

    /** Opens the queue of every realm that has a spool, so that what it holds goes out with the realm's settings. */
    private void resumeSpooledMail(KeycloakSession session) {
        Map<String, Path> spools;
        try {
            spools = RealmSpools.existing(server.spoolDir());
        } catch (RuntimeException e) {
            LOG.warnf("Outbound relay: cannot list the spool directory %s (%s); queued mail goes out when each realm "
                    + "next sends one", server.spoolDir(), e.getMessage());
            return;
        }
        spools.forEach((realmId, directory) -> {
            RealmModel realm = session.realms().getRealm(realmId);
            if (realm == null) {
                LOG.warnf("Outbound relay: spool %s belongs to no realm (id %s); its mail is not sent. Delete the "
                        + "directory once nothing in it is needed.", directory, realmId);
                return;
            }
            session.getContext().setRealm(realm); // vault references resolve per realm
            try {
                RelayConfiguration configuration = RealmSettingsReader.read(session, realm, realm.getSmtpConfig(), server);
                QueueMetrics queued = relays.forRealm(realm.getId(), realm.getName(), configuration).metrics();
                if (queued.queueDepth() > 0 || queued.deadLetters() > 0) {
                    LOG.infof("Realm %s: %d queued mail(s) resumed, %d dead letter(s) kept, from %s", realm.getName(),
                            queued.queueDepth(), queued.deadLetters(), directory);
                }
            } catch (InvalidInputException | SpoolException | MailNotQueuedException e) {
                LOG.warnf("Realm %s: the mail queued in %s waits: %s", realm.getName(), directory, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf("Realm %s: the mail queued in %s waits for the realm's next mail: %s", realm.getName(), directory, e);
            }
        });
    }

    @Override
    public void close() {
        KeycloakMeters.close(meters);
        if (relays != null) {
            relays.close();
        }
        synchronized (this) {
            if (store != null) {
                store.close();
            }
        }
    }

    @Override
    public String getId() {
        return ID;
    }

    /** This provider's factory in a running Keycloak, whether or not {@value #ID} is the active email sender. */
    static RelayEmailSenderProviderFactory of(KeycloakSessionFactory factory) {
        return (RelayEmailSenderProviderFactory) factory.getProviderFactory(EmailSenderProvider.class, ID);
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
                .helpText("Directory of the durable mail queue, one subdirectory per realm id. Default: "
                        + "data/outbound-relay/spool under Keycloak's home. Must persist across restarts.")
                .add()
                .property().name(ServerOptions.RATE_LIMIT_PER_MINUTE).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_RATE_LIMIT_PER_MINUTE)
                .helpText("Mails per minute per realm, unless the realm's Outbound relay tab sets its own; 0 for no limit.")
                .add()
                .property().name(ServerOptions.RETRY_LIFETIME_HOURS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_RETRY_LIFETIME_HOURS)
                .helpText("Hours a mail that keeps failing is retried before it becomes a dead letter, unless the realm "
                        + "sets its own.")
                .add()
                .property().name(ServerOptions.FALLBACK_RELAYS).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated host:port relays tried in order, with the realm's credentials, while its "
                        + "relay is failing.")
                .add()
                .property().name(ServerOptions.CREDENTIAL_HOSTS).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated hosts (or host:port) trusted with a realm's credentials besides its own Email "
                        + "tab relay and the fallback-relays: a realm's own fallback relay gets its credentials only on "
                        + "one of them, and realm administrators may probe only them, the saved relay and its fallbacks.")
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
                .property().name(ClusterOptions.QUEUE_STORE).type(ProviderConfigProperty.LIST_TYPE)
                .options("auto", "file", "database").defaultValue("auto")
                .helpText("Where queued mail waits: auto (Keycloak's database, shared by every node of a cluster, "
                        + "unless Keycloak runs on dev-file/dev-mem, then files under spool-dir), file or database.")
                .add()
                .property().name(ClusterOptions.CLAIM_LEASE_SECONDS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ClusterOptions.DEFAULT_CLAIM_LEASE_SECONDS)
                .helpText("Database queue: how long a node's claim on a mail holds without renewal; when a node dies, "
                        + "the others send the mail it held once this has passed.")
                .add()
                .property().name(ClusterOptions.BOUNCE_COUNT_FLUSH_SECONDS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ClusterOptions.DEFAULT_BOUNCE_COUNT_FLUSH_SECONDS)
                .helpText("How often each node writes its bounce and complaint counts to the database, where every node's "
                        + "rates read them: the longest the rates on one node lag behind mail sent on another. 1 to 3600.")
                .add()
                .property().name(AtRestOptions.DEAD_LETTER_BODY_RETENTION_HOURS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(AtRestOptions.DEFAULT_DEAD_LETTER_BODY_RETENTION_HOURS)
                .helpText("Hours dead letters and quarantined mail keep their message body (and the links in it); after "
                        + "that only what failed and why is kept, and a dead letter can no longer be retried. 0 to 720.")
                .add()
                .property().name(ServerOptions.MAX_CONNECTIONS).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_MAX_CONNECTIONS)
                .helpText("Open connections kept to each realm's relay and reused; also the mails sent to it at once.")
                .add()
                .property().name(ServerOptions.MAX_MESSAGE_SIZE_MB).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerOptions.DEFAULT_MAX_MESSAGE_SIZE_MB)
                .helpText("The largest mail accepted, in MiB of subject, headers and bodies (1 to 150); a larger one is "
                        + "refused before it is queued, and nothing else queued is affected.")
                .add()
                .property().name(ServerMailLimits.MAX_QUEUED_PER_REALM).type(ProviderConfigProperty.INTEGER_TYPE)
                .defaultValue(ServerMailLimits.DEFAULT_MAX_QUEUED_PER_REALM)
                .helpText("Mails a realm's queue may hold; beyond it new mail is refused (the user sees Keycloak's "
                        + "email error) and the mail already queued is kept and delivered.")
                .add()
                .property().name(ServerMailLimits.ALLOWED_RECIPIENT_DOMAINS).type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Comma-separated domains any realm may mail, such as example.com or *.example.com for its "
                        + "subdomains; mail to others is refused and not queued. Empty: anywhere. A realm can narrow it.")
                .add()
                .build();
    }
}
