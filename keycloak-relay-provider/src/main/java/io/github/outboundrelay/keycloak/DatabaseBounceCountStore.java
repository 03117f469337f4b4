package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceCountStore;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * A realm's rate counts in Keycloak's database ({@code OUTBOUND_RELAY_BOUNCE_COUNT}), summed over every node of the
 * cluster, so that each node shows the same rates and a restart or a settings change keeps them (docs/keycloak.md,
 * "Bounces"). relay-common writes here only every flush period ({@code StoredBounceCounts}), never per mail.
 *
 * <p>A flush raises each hour's row ({@code SET SENT = SENT + :n}, so two nodes flushing the same hour both count) and
 * inserts the row when it is missing; when two nodes insert the same hour at once, the primary key refuses one, whose
 * transaction is rolled back and tried once more ({@link Database#callTwice}), then finding the row to raise. The hours
 * are raised in ascending order, so two flushes never wait for each other in a cycle. About once an hour a flush also
 * deletes the rows older than {@link #KEEP} of every realm: a realm deleted while another node still counted for it
 * may get a row back from that node's last flush, and no flush of its own would ever delete it.
 */
final class DatabaseBounceCountStore implements BounceCountStore {
    static final String TABLE = "OUTBOUND_RELAY_BOUNCE_COUNT";
    /** Rows are kept a day longer than the 7-day window needs. */
    static final Duration KEEP = Duration.ofDays(8);
    private static final Logger LOG = Logger.getLogger(DatabaseBounceCountStore.class);

    private final Database database;
    private final String realmId;
    private final Clock clock;
    private volatile long prunedHour = Long.MIN_VALUE;

    DatabaseBounceCountStore(Database database, String realmId, Clock clock) {
        this.database = database;
        this.realmId = realmId;
        this.clock = clock;
    }

    @Override
    public void add(List<HourlyCounts> deltas) throws IOException {
        List<HourlyCounts> ordered = deltas.stream().filter(d -> !d.isEmpty())
                .sorted(Comparator.comparingLong(HourlyCounts::epochHour)).toList();
        if (!ordered.isEmpty()) {
            try {
                database.callTwice(em -> {
                    ordered.forEach(d -> raise(em, d));
                    em.flush(); // an insert refused by the primary key fails here, and the whole flush is tried again
                    return null;
                });
            } catch (RuntimeException e) {
                throw new IOException("Keycloak's database table " + TABLE + ": the bounce counts of realm " + realmId
                        + " were not written: " + e.getMessage(), e);
            }
        }
        pruneHourly();
    }

    private void raise(EntityManager em, HourlyCounts d) {
        int rows = em.createQuery("update OutboundRelayBounceCount c set c.sent = c.sent + :sent,"
                        + " c.hardBounces = c.hardBounces + :hard, c.softBounces = c.softBounces + :soft,"
                        + " c.complaints = c.complaints + :complaints where c.realmId = :realm and c.epochHour = :hour")
                .setParameter("sent", d.sent()).setParameter("hard", d.hardBounces()).setParameter("soft", d.softBounces())
                .setParameter("complaints", d.complaints()).setParameter("realm", realmId).setParameter("hour", d.epochHour())
                .executeUpdate();
        if (rows == 0) {
            BounceCountEntity row = new BounceCountEntity(realmId, d.epochHour());
            row.sent = d.sent();
            row.hardBounces = d.hardBounces();
            row.softBounces = d.softBounces();
            row.complaints = d.complaints();
            em.persist(row);
        }
    }

    @Override
    public List<HourlyCounts> read(long fromEpochHour, long toEpochHour) throws IOException {
        try {
            return database.call(em -> em.createQuery("select c from OutboundRelayBounceCount c where c.realmId = :realm"
                            + " and c.epochHour between :from and :to", BounceCountEntity.class)
                    .setParameter("realm", realmId).setParameter("from", fromEpochHour).setParameter("to", toEpochHour)
                    .getResultList().stream()
                    .map(c -> new HourlyCounts(c.epochHour, c.sent, c.hardBounces, c.softBounces, c.complaints)).toList());
        } catch (RuntimeException e) {
            throw new IOException("Keycloak's database table " + TABLE + ": the bounce counts of realm " + realmId
                    + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Deletes the rows older than {@link #KEEP}, at most once per hour per realm and node; a failure waits for the next hour. */
    private void pruneHourly() {
        long hour = Math.floorDiv(clock.millis(), Duration.ofHours(1).toMillis());
        if (hour == prunedHour) {
            return;
        }
        prunedHour = hour;
        try {
            int rows = prune(hour - KEEP.toHours());
            if (rows > 0) {
                LOG.debugf("%d hourly bounce count row(s) older than %d days deleted", rows, KEEP.toDays());
            }
        } catch (RuntimeException e) {
            LOG.warnf("Old rows of %s were not deleted (%s); tried again in an hour", TABLE, e);
        }
    }

    /** Deletes every realm's rows of hours before {@code oldestKeptHour}. */
    int prune(long oldestKeptHour) {
        return database.call(em -> em.createQuery("delete from OutboundRelayBounceCount c where c.epochHour < :oldest")
                .setParameter("oldest", oldestKeptHour).executeUpdate());
    }

    /** Deletes all of a realm's rows: the realm was deleted. */
    static int purge(Database database, String realmId) {
        return database.call(em -> em.createQuery("delete from OutboundRelayBounceCount c where c.realmId = :realm")
                .setParameter("realm", realmId).executeUpdate());
    }
}
