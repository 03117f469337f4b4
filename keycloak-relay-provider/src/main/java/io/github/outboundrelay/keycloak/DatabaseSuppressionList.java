package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.SuppressionList;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A realm's suppression list in Keycloak's database ({@code OUTBOUND_RELAY_SUPPRESSION}), shared by every node.
 * {@link #get} runs before every send, so it reads a copy in memory; the copy is checked against the realm's revision
 * row ({@code OUTBOUND_RELAY_SUPPRESSION_REV}, one primary-key read) at most every {@link #REFRESH} and reloaded only
 * when another node changed the list. A change made on one node is therefore honoured on every other node within
 * {@link #REFRESH} of its commit (docs/keycloak.md, "Bounces"); this node's own changes at once. When the database
 * cannot be read, the last copy stays in use and the check is tried again after {@link #REFRESH}.
 *
 * <p>Thread-safe: the copy is an immutable map behind a volatile field; one thread at a time refreshes it, the others
 * keep reading the old one meanwhile.
 */
final class DatabaseSuppressionList implements SuppressionList {
    /** The longest a change made on another node goes unnoticed here. */
    static final Duration REFRESH = Duration.ofSeconds(5);
    static final String TABLE = "OUTBOUND_RELAY_SUPPRESSION";
    private static final Logger LOG = Logger.getLogger(DatabaseSuppressionList.class);

    /** One reading of the realm's list; the suppressed count is counted once per reading, not per metrics call. */
    private record View(long revision, Map<String, Suppression> entries, long suppressedCount) {
        View(long revision, Map<String, Suppression> entries) {
            this(revision, entries, entries.values().stream().filter(Suppression::suppressed).count());
        }
    }

    private final Database database;
    private final String realmId;
    private final LongSupplier nanoTime;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile View view = new View(-1, Map.of());
    private volatile long checkedNanos;
    private volatile boolean checked;

    DatabaseSuppressionList(Database database, String realmId) {
        this(database, realmId, System::nanoTime);
    }

    /** @param nanoTime the clock the refresh interval is measured on */
    DatabaseSuppressionList(Database database, String realmId, LongSupplier nanoTime) {
        this.database = database;
        this.realmId = realmId;
        this.nanoTime = nanoTime;
    }

    @Override
    public Optional<Suppression> get(String address) {
        refreshIfDue();
        String key;
        try {
            key = Suppression.normalize(address);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(view.entries().get(key));
    }

    @Override
    public void put(Suppression entry) throws IOException {
        write("record " + entry.reason().label() + " report", em -> {
            SuppressionEntity row = em.find(SuppressionEntity.class, id(realmId, entry.address()));
            if (row == null) {
                row = new SuppressionEntity();
                row.id = id(realmId, entry.address());
                row.realmId = realmId;
                row.address = entry.address();
                copy(entry, row);
                em.persist(row);
            } else {
                copy(entry, row);
            }
            return true;
        });
    }

    @Override
    public boolean remove(String address) throws IOException {
        String key = Suppression.normalize(address);
        return write("remove an address", em -> em.createQuery("delete from OutboundRelaySuppression s where s.id = :id")
                .setParameter("id", id(realmId, key)).executeUpdate() > 0);
    }

    @Override
    public List<Suppression> search(String text, int limit) {
        refreshIfDue();
        String needle = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        return view.entries().values().stream().filter(s -> s.address().contains(needle))
                .sorted(Comparator.comparing(Suppression::address)).limit(Math.max(0, limit)).toList();
    }

    @Override
    public long suppressedCount() {
        refreshIfDue();
        return view.suppressedCount();
    }

    /** Reads the list from the database now, whatever the interval says. */
    void refresh() {
        View current = view;
        long revision = database.call(em -> revision(em));
        if (revision != current.revision()) {
            view = database.call(this::load);
        }
        checkedNanos = nanoTime.getAsLong();
        checked = true;
    }

    private void refreshIfDue() {
        if (checked && nanoTime.getAsLong() - checkedNanos < REFRESH.toNanos()) {
            return;
        }
        if (!refreshing.compareAndSet(false, true)) {
            return; // another thread is at it: this one goes on with the copy it has
        }
        try {
            refresh();
        } catch (RuntimeException e) {
            checkedNanos = nanoTime.getAsLong();
            checked = true;
            LOG.warnf("Outbound relay: realm %s's suppression list cannot be read from %s (%s); the last copy (%d "
                    + "address(es)) stays in use and the database is asked again in %d s", realmId, TABLE, e,
                    view.entries().size(), REFRESH.toSeconds());
        } finally {
            refreshing.set(false);
        }
    }

    private View load(EntityManager em) {
        long revision = revision(em);
        Map<String, Suppression> entries = new HashMap<>();
        em.createQuery("select s from OutboundRelaySuppression s where s.realmId = :realm", SuppressionEntity.class)
                .setParameter("realm", realmId).getResultList()
                .forEach(row -> entries.put(row.address, new Suppression(row.address, row.suppressed,
                        BounceKind.valueOf(row.reason), row.status, row.diagnostic, row.softBounces,
                        Instant.ofEpochMilli(row.since), Instant.ofEpochMilli(row.lastReport))));
        return new View(revision, Map.copyOf(entries));
    }

    private long revision(EntityManager em) {
        SuppressionRevisionEntity row = em.find(SuppressionRevisionEntity.class, realmId);
        return row == null ? 0 : row.revision;
    }

    /** Changes the list and raises the revision in one transaction, then reloads this node's copy. */
    private boolean write(String what, Function<EntityManager, Boolean> change) throws IOException {
        Function<EntityManager, Boolean> work = em -> {
            boolean changed = change.apply(em);
            if (changed) {
                SuppressionRevisionEntity row = em.find(SuppressionRevisionEntity.class, realmId, LockModeType.PESSIMISTIC_WRITE);
                if (row == null) {
                    row = new SuppressionRevisionEntity(realmId);
                    em.persist(row);
                }
                row.revision++;
                em.flush(); // two nodes creating the row (or the address) at once: one fails here and retries
            }
            return changed;
        };
        boolean changed;
        try {
            changed = call(work);
        } catch (RuntimeException e) {
            throw new IOException("Keycloak's database table " + TABLE + ": cannot " + what + " for realm " + realmId
                    + ": " + e.getMessage(), e);
        }
        try {
            View fresh = database.call(this::load);
            view = fresh;
            checkedNanos = nanoTime.getAsLong();
            checked = true;
        } catch (RuntimeException e) {
            checked = false; // the change is stored: the next get reads it
        }
        return changed;
    }

    private <T> T call(Function<EntityManager, T> work) {
        return database.callTwice(work);
    }

    /** Deletes a realm's list and its revision row: the realm was deleted. */
    static int purge(Database database, String realmId) {
        return database.call(em -> {
            int rows = em.createQuery("delete from OutboundRelaySuppression s where s.realmId = :realm")
                    .setParameter("realm", realmId).executeUpdate();
            em.createQuery("delete from OutboundRelaySuppressionRevision r where r.realmId = :realm")
                    .setParameter("realm", realmId).executeUpdate();
            return rows;
        });
    }

    private static void copy(Suppression entry, SuppressionEntity row) {
        row.suppressed = entry.suppressed();
        row.reason = entry.reason().name();
        row.status = truncate(entry.status(), 32);
        row.diagnostic = truncate(entry.diagnostic(), 1000);
        row.softBounces = entry.softBounces();
        row.since = entry.since().toEpochMilli();
        row.lastReport = entry.lastReport().toEpochMilli();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /** The row's id: a digest of realm and address, so that the same address in the same realm is one row. */
    static String id(String realmId, String address) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((realmId + "\n" + address).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
