package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.SpoolException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Opens this node's queue for every realm that has mail in the shared database queue, with the realm's saved
 * settings: a node sends what any node queued, including a node that died, even for a realm this node never sent
 * mail for. Told the realms by {@link DatabaseQueueStore#discoverQueues}; a realm whose queue is open is skipped.
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
        for (String realmId : realmsWithMail) {
            if (relays.current(realmId).isPresent()) {
                continue;
            }
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
                relays.forRealm(realmId, found.realmName(), found.configuration());
                warned.remove(realmId);
                LOG.infof("Realm %s: this node now also delivers the realm's queued mail", found.realmName());
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
