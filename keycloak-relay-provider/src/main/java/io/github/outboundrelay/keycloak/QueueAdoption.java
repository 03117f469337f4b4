package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.spool.SpoolException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Keeps this node's queues in step with the shared database queue: it opens a queue for every realm that has mail
 * there, with the realm's saved settings, so that a node sends what any node queued (including a node that died),
 * even for a realm it never sent mail for; and it rebuilds a queue whose realm settings were changed through another
 * node, so that no node goes on sending the cluster's mail with settings an administrator replaced. Told the realms
 * with queued mail by {@link DatabaseQueueStore#discoverQueues}, every few seconds.
 */
final class QueueAdoption implements Consumer<Set<String>> {
    private static final Logger LOG = Logger.getLogger(QueueAdoption.class);

    /** The realm's settings, read in a transaction; the queue is opened after it (its spool runs transactions of its own). */
    private record Found(String realmName, RelayConfiguration configuration) {
    }

    private final KeycloakSessionFactory factory;
    private final ServerOptions server;
    private final RealmRelays relays;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    QueueAdoption(KeycloakSessionFactory factory, ServerOptions server, RealmRelays relays) {
        this.factory = factory;
        this.server = server;
        this.relays = relays;
    }

    @Override
    public void accept(Set<String> realmsWithMail) {
        Set<String> realms = new TreeSet<>(realmsWithMail);
        realms.addAll(relays.realmIds());
        for (String realmId : realms) {
            boolean open = relays.current(realmId).isPresent();
            try {
                Found found = KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
                    RealmModel realm = session.realms().getRealm(realmId);
                    if (realm == null) {
                        return null;
                    }
                    session.getContext().setRealm(realm); // vault references resolve per realm
                    return new Found(realm.getName(), RealmSettingsReader.read(session, realm, realm.getSmtpConfig(), server));
                });
                if (found == null) {
                    warnOnce(realmId, "mail queued for realm id " + realmId + " belongs to no realm; it is not sent");
                    continue;
                }
                // The relay in place when the settings are unchanged; rebuilt (its sends drained) when they changed.
                relays.forRealm(realmId, found.realmName(), found.configuration());
                warned.remove(realmId);
                if (!open) {
                    LOG.infof("Realm %s: this node now also delivers the realm's queued mail", found.realmName());
                }
            } catch (InvalidInputException | SpoolException | MailNotQueuedException e) {
                warnOnce(realmId, "the queued mail of realm id " + realmId + " waits: " + e.getMessage());
            }
        }
    }

    private void warnOnce(String realmId, String message) {
        if (warned.add(realmId)) {
            LOG.warn("Outbound relay: " + message);
        }
    }
}
