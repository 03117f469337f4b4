package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceCountStore;
import io.github.outboundrelay.common.RecipientMask;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.SuppressionList;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventStoreProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Bounce handling's side in Keycloak: each realm's {@link DatabaseSuppressionList} (one per realm for the life of the
 * node, so its copy survives a settings change), its {@link DatabaseBounceCountStore} (the rates' counts summed over
 * the cluster), the cluster's {@link BounceMailboxLease}, and what a suppression does
 * to the realm's users: "email verified" turned off for each user with that email, each recorded as an admin event
 * (operation UPDATE on the user, detail {@value #EVENT_DETAIL}) in a Keycloak transaction of its own.
 */
final class KeycloakBounceSupport implements BounceSupport {
    /** The admin event detail that says why a user's email was unverified. */
    static final String EVENT_DETAIL = "outboundRelaySuppression";
    private static final Logger LOG = Logger.getLogger(KeycloakBounceSupport.class);

    private final Supplier<KeycloakSessionFactory> factory;
    private final String node = nodeName();
    private final ConcurrentHashMap<String, DatabaseSuppressionList> lists = new ConcurrentHashMap<>();
    private final Duration countFlushPeriod;

    /**
     * @param factory          Keycloak's session factory, known once Keycloak initialised its providers; first used after that
     * @param countFlushPeriod how often each realm's counts are written to the database
     */
    KeycloakBounceSupport(Supplier<KeycloakSessionFactory> factory, Duration countFlushPeriod) {
        this.factory = factory;
        this.countFlushPeriod = countFlushPeriod;
    }

    private Database database() {
        return new Database(factory.get());
    }

    @Override
    public Optional<SuppressionList> list(String realmId) {
        return Optional.of(lists.computeIfAbsent(realmId, id -> new DatabaseSuppressionList(database(), id)));
    }

    @Override
    public Optional<BounceCountStore> counts(String realmId) {
        return Optional.of(new DatabaseBounceCountStore(database(), realmId, Clock.systemUTC()));
    }

    @Override
    public Duration countFlushPeriod() {
        return countFlushPeriod;
    }

    @Override
    public Optional<BounceMailboxLease> lease() {
        return Optional.of(new BounceMailboxLease(database(), node, Clock.systemUTC()));
    }

    @Override
    public void suppressed(String realmId, Suppression suppression, boolean markUnverified) {
        if (!markUnverified) {
            return;
        }
        try {
            KeycloakModelUtils.runJobInTransaction(factory.get(), session -> unverify(session, realmId, suppression));
        } catch (RuntimeException e) {
            LOG.warnf("Realm %s: %s is suppressed, but its users' email could not be marked unverified: %s", realmId,
                    RecipientMask.mask(suppression.address()), e);
        }
    }

    private static void unverify(KeycloakSession session, String realmId, Suppression suppression) {
        RealmModel realm = session.realms().getRealm(realmId);
        if (realm == null) {
            return;
        }
        session.getContext().setRealm(realm);
        List<UserModel> users = session.users().searchForUserStream(realm, Map.of(UserModel.EMAIL, suppression.address(),
                UserModel.EXACT, "true", UserModel.INCLUDE_SERVICE_ACCOUNT, "false"), 0, 100).toList();
        int changed = 0;
        for (UserModel user : users) {
            if (user.getEmail() != null && user.getEmail().equalsIgnoreCase(suppression.address()) && user.isEmailVerified()) {
                user.setEmailVerified(false);
                adminEvent(session, realm, user, suppression);
                changed++;
            }
        }
        if (changed > 0) {
            LOG.infof("Realm %s: %s is suppressed (%s); email verified turned off for %d user(s)", realm.getName(),
                    RecipientMask.mask(suppression.address()), suppression.reason().label(), changed);
        }
    }

    /**
     * Records the change as Keycloak's AdminEventBuilder would, without a request: stored when the realm keeps admin
     * events, and given to the realm's event listeners. The caller is this provider, not an administrator.
     */
    private static void adminEvent(KeycloakSession session, RealmModel realm, UserModel user, Suppression suppression) {
        AdminEvent event = new AdminEvent();
        event.setId(UUID.randomUUID().toString());
        event.setTime(System.currentTimeMillis());
        event.setRealmId(realm.getId());
        event.setRealmName(realm.getName());
        AuthDetails auth = new AuthDetails();
        auth.setRealmId(realm.getId());
        auth.setRealmName(realm.getName());
        auth.setClientId(RelayDiagnosticsProvider.ID);
        event.setAuthDetails(auth);
        event.setOperationType(OperationType.UPDATE);
        event.setResourceType(ResourceType.USER);
        event.setResourcePath("users/" + user.getId());
        event.setDetails(Map.of(EVENT_DETAIL, suppression.reason().label() + " "
                + (suppression.status().isEmpty() ? "complaint" : suppression.status()) + ": email verified turned off"));
        if (realm.isAdminEventsEnabled()) {
            EventStoreProvider store = session.getProvider(EventStoreProvider.class);
            if (store != null) {
                store.onEvent(event, false);
            }
        }
        realm.getEventsListenersStream().forEach(id -> {
            EventListenerProvider listener = session.getProvider(EventListenerProvider.class, id);
            if (listener != null) {
                listener.onEvent(event, false);
            }
        });
    }

    @Override
    public void forget(String realmId) {
        lists.remove(realmId);
        try {
            int rows = DatabaseSuppressionList.purge(database(), realmId);
            BounceMailboxLease.purge(database(), realmId);
            DatabaseBounceCountStore.purge(database(), realmId);
            if (rows > 0) {
                LOG.infof("Realm %s was deleted: its suppression list (%d address(es)) is deleted with it", realmId, rows);
            }
        } catch (RuntimeException e) {
            LOG.warnf("Realm %s was deleted but its suppression list and bounce counts in %s and %s could not be (%s); "
                    + "delete its rows by hand (REALM_ID = the realm id)", realmId, DatabaseSuppressionList.TABLE,
                    DatabaseBounceCountStore.TABLE, e);
        }
    }

    /** This node as the lease table shows it: host, process and a random part (a restarted node is another owner). */
    private static String nodeName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = "keycloak";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }
}
