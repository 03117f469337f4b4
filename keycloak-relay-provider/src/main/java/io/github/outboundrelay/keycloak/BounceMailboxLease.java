package io.github.outboundrelay.keycloak;

import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which node of the cluster polls a realm's bounce mailbox: the one holding the realm's row in
 * {@code OUTBOUND_RELAY_BOUNCE_LEASE}, until its lease runs out. A node takes the lease when it is free, run out, or
 * its own, and extends it on each poll; so two nodes never apply a mailbox's reports at once, and when the polling
 * node dies another takes over once its lease ran out. Each take is one short transaction that locks the row
 * ({@code SELECT ... FOR UPDATE}). Time is the wall clock, which every node shares (as Keycloak's tokens require).
 */
final class BounceMailboxLease {
    private final Database database;
    private final String owner;
    private final Clock clock;

    /** @param owner this node, as it appears in the table */
    BounceMailboxLease(Database database, String owner, Clock clock) {
        this.database = database;
        this.owner = owner;
        this.clock = clock;
    }

    /**
     * Takes or extends the realm's lease for {@code length}.
     *
     * @return empty when this node holds it now; else the node that does
     */
    Optional<String> take(String realmId, Duration length) {
        Function<EntityManager, Optional<String>> work = em -> {
            long now = clock.millis();
            BounceLeaseEntity row = em.find(BounceLeaseEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
            if (row == null) {
                em.persist(new BounceLeaseEntity(realmId, owner, now + length.toMillis()));
                em.flush(); // two nodes creating it at once: one fails here, and its retry finds the other's row
                return Optional.empty();
            }
            if (row.owner.equals(owner) || row.leaseUntil <= now) {
                row.owner = owner;
                row.leaseUntil = now + length.toMillis();
                return Optional.empty();
            }
            return Optional.of(row.owner);
        };
        try {
            return database.call(work);
        } catch (RuntimeException first) {
            return database.call(work);
        }
    }

    /** Lets go of the realm's lease if this node holds it, so that another node may poll at once. */
    void release(String realmId) {
        database.call(em -> em.createQuery("delete from OutboundRelayBounceLease l where l.realmId = :realm and l.owner = :owner")
                .setParameter("realm", realmId).setParameter("owner", owner).executeUpdate());
    }

    /** Deletes the realm's lease: the realm was deleted. */
    static void purge(Database database, String realmId) {
        database.call(em -> em.createQuery("delete from OutboundRelayBounceLease l where l.realmId = :realm")
                .setParameter("realm", realmId).executeUpdate());
    }

    String owner() {
        return owner;
    }
}
