package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.spool.MessageCodec;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A realm's queue in Keycloak's database ({@code OUTBOUND_RELAY_MAIL}), shared by every node of a cluster.
 *
 * <p><b>Guarantees.</b> {@link #store} returns once the row is committed. A spool claims a due row with a lease: a
 * conditional update ({@code ... WHERE LEASE_UNTIL <= now}) that exactly one spool wins, so no two spools send a mail
 * at once while its lease holds; the holder renews its leases every third of the lease ({@link DatabaseQueueStore})
 * while it sends. When a node dies its leases run out and another node claims the rows: delivery is at-least-once,
 * with the Message-ID kept. A mail the relay accepted just before its sender died is sent again. A spool that lost
 * a lease (a pause longer than the lease) still deletes a row it delivered, but its retry or dead letter does not
 * overwrite the new holder's state. No row lock is held while a mail is sent.
 *
 * <p><b>Whose lease, whose clock.</b> The lease owner is this spool INSTANCE (node, process, spool number), not the
 * node: when a realm's settings change, the old queue's spool and its successor's are two owners, so a late send of
 * the old one can never overwrite a lease the successor took. Leases are set and compared in the DATABASE's clock
 * ({@code current_timestamp}, read in the same transaction), never a node's: a node whose clock runs ahead cannot
 * take leases that are still live. Due times stay in the nodes' clocks (they come from the queue's clock); a skew
 * only moves a retry by as much. After {@link #close} the spool refuses every change.
 *
 * <p><b>At rest.</b> {@code MESSAGE} holds the message sealed with the realm's AES key ({@link BodyCipher}, the row
 * id as associated data; rows written before encryption stay readable), Base64-encoded. {@code RENDERED} holds the
 * mail as the queue rendered it at submit (the same reset link), sealed the same way by the same two methods
 * ({@link #seal}, {@link #open}), and goes wherever {@code MESSAGE} goes: a delivered row is deleted; dead and
 * quarantined rows lose both (set to null) once older than the retention ({@link #deleteBodies});
 * {@code DEAD_LETTERED} says when they became so.
 *
 * <p><b>The rendering</b> is kept so that no attempt renders the mail again (issue 13). It is a column of its own, not
 * part of {@code MESSAGE}, so that rows stay readable both ways in a cluster being upgraded: a node of the version
 * before reads {@code MESSAGE} as it always did and never sees {@code RENDERED}; this version reads rows without a
 * rendering and leaves them to be rendered when sent. A rendering that cannot be opened is dropped (the message is
 * rendered again), never a reason to quarantine a message that can be read; one made for other settings is not used
 * ({@code RelayClient} checks it with {@code MimeRenderer.rendersFor}).
 */
final class DatabaseSpool implements Spool {
    static final String TABLE = "OUTBOUND_RELAY_MAIL";
    private static final Logger LOG = Logger.getLogger(DatabaseSpool.class);
    /** Candidates read per claim beyond those wanted, for the rows another node claims meanwhile. */
    private static final int CLAIM_SLACK = 4;

    private final Database database;
    private final String queueKey;
    private final String owner;
    private final Duration lease;
    private final BodyCipher cipher;
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Runnable onClose;
    private final Clock clock;
    private volatile QuarantineListener quarantine = QuarantineListener.NONE;
    private volatile boolean closed;

    /**
     * @param queueKey the realm's id: every node's queue for the realm reads the same rows
     * @param owner    this spool's name in {@code LEASE_OWNER}: unique per instance, across the cluster
     * @param cipher   seals the messages it stores (the realm's key)
     * @param onClose  told when the spool closes (it stops renewing its leases)
     * @param clock    this node's clock, the one the queue's due times are in
     */
    DatabaseSpool(Database database, String queueKey, String owner, Duration lease, BodyCipher cipher, Runnable onClose,
                  Clock clock) {
        this.clock = clock;
        this.database = database;
        this.queueKey = queueKey;
        this.owner = owner;
        this.lease = lease;
        this.cipher = cipher;
        this.onClose = onClose;
    }

    String queueKey() {
        return queueKey;
    }

    /** This spool's name in {@code LEASE_OWNER}. */
    String owner() {
        return owner;
    }

    /** The rows this node holds leases on: those its senders are delivering now. */
    Set<String> held() {
        return Set.copyOf(held);
    }

    @Override
    public int recover(QuarantineListener quarantine) {
        this.quarantine = quarantine;
        // Nothing to undo: claims of a previous life of this node expire with their leases, like those of any node.
        return (int) depth().queued();
    }

    @Override
    public String store(OutboundMessage message, Instant now) {
        return store(message, null, now);
    }

    /** Keeps {@code rendered} (null: none) beside the message, sealed alike: see "The rendering" above. */
    @Override
    public String store(OutboundMessage message, byte[] rendered, Instant now) {
        refuseIfClosed();
        String id = UUID.randomUUID().toString();
        // Sealed before the transaction: the realm's key is looked up in a transaction of its own.
        String sealedMessage = seal(MessageCodec.encode(message), id, BodyColumn.MESSAGE);
        String sealedRendering = rendered == null ? null : seal(StoredRendering.encode(rendered), id, BodyColumn.RENDERED);
        inTransaction("store a mail", em -> {
            em.persist(QueuedMailEntity.queued(id, queueKey, message.messageId(), sealedMessage, sealedRendering,
                    now.toEpochMilli()));
            return null;
        });
        return id;
    }

    @Override
    public List<Entry> claimDue(Instant now, int max) {
        refuseIfClosed();
        long nowMillis = now.toEpochMilli();
        List<QueuedMailEntity> rows = inTransaction("claim due mail", em -> {
            long databaseNow = databaseMillis(em);
            List<String> candidates = em.createQuery("select m.id from OutboundRelayMail m where m.queueKey = :queue"
                            + " and m.state = :queued and m.due <= :now and m.leaseUntil <= :databaseNow order by m.due, m.id",
                            String.class)
                    .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("now", nowMillis)
                    .setParameter("databaseNow", databaseNow)
                    .setMaxResults(max + CLAIM_SLACK)
                    .getResultList();
            List<QueuedMailEntity> won = new ArrayList<>();
            for (String id : candidates) {
                if (won.size() == max) {
                    break;
                }
                int updated = em.createQuery("update OutboundRelayMail m set m.leaseOwner = :owner, m.leaseUntil = :until"
                                + " where m.id = :id and m.state = :queued and m.leaseUntil <= :databaseNow")
                        .setParameter("owner", owner).setParameter("until", databaseNow + lease.toMillis())
                        .setParameter("id", id).setParameter("queued", QueuedMailEntity.QUEUED)
                        .setParameter("databaseNow", databaseNow)
                        .executeUpdate();
                if (updated == 1) { // 0: another spool claimed it first
                    won.add(em.find(QueuedMailEntity.class, id));
                }
            }
            return won;
        });
        // Opened after the commit: the realm's key may need a transaction of its own.
        List<Entry> claimed = new ArrayList<>();
        for (QueuedMailEntity row : rows) {
            held.add(row.id);
            try {
                OutboundMessage message = MessageCodec.decode(open(row.message, row.id, BodyColumn.MESSAGE));
                claimed.add(new Entry(row.id, message, row.attempts, Instant.ofEpochMilli(row.firstSubmitted),
                        Instant.ofEpochMilli(row.due), row.lastFailure, rendering(row)));
            } catch (IllegalArgumentException e) {
                moveAside(row.id, truncate("unreadable: " + e.getMessage(), 2000), nowMillis);
            } catch (RuntimeException e) {
                // The realm's key is out of reach now: the lease runs out and the mail is claimed again then.
                held.remove(row.id);
                LOG.warnf("Outbound relay: mail %s of realm %s cannot be opened now (%s); it is tried again when its "
                        + "claim runs out", row.id, queueKey, e);
            }
        }
        return claimed;
    }

    /**
     * The row's rendering, or null when it has none (written by an earlier version) or it cannot be opened: the
     * message is rendered when it is sent then, and the row is not quarantined for it.
     */
    private byte[] rendering(QueuedMailEntity row) {
        if (row.rendered == null) {
            return null;
        }
        try {
            return StoredRendering.decode(open(row.rendered, row.id, BodyColumn.RENDERED));
        } catch (IllegalArgumentException e) {
            LOG.warnf("Outbound relay: the stored rendering of mail %s of realm %s is unreadable (%s); the mail is rendered "
                    + "again when sent", row.id, queueKey, e.getMessage());
            return null;
        }
    }

    /** Moves a claimed row aside, not to be retried: its body is damaged or was sealed with a key that is gone. */
    private void moveAside(String id, String reason, long nowMillis) {
        held.remove(id);
        try {
            inTransaction("quarantine an unreadable mail", em -> em.createQuery("update OutboundRelayMail m"
                            + " set m.state = :quarantined, m.lastFailure = :reason, m.deadLettered = :now,"
                            + " m.leaseOwner = null, m.leaseUntil = 0 where m.id = :id and m.leaseOwner = :owner")
                    .setParameter("quarantined", QueuedMailEntity.QUARANTINED).setParameter("reason", reason)
                    .setParameter("now", nowMillis).setParameter("id", id).setParameter("owner", owner).executeUpdate());
        } catch (SpoolException e) {
            // Claimed again when the lease runs out, and moved aside then.
            LOG.warnf("Outbound relay: unreadable mail %s of realm %s could not be moved aside now: %s", id, queueKey, e.getMessage());
            return;
        }
        quarantine.quarantined(id, "table " + TABLE + ", row " + id + " (state " + QueuedMailEntity.QUARANTINED + ")", reason);
    }

    @Override
    public void complete(String id) {
        refuseIfClosed();
        held.remove(id);
        // Deleted whoever holds it now: the mail went out, a second send by a node that took over is at most a copy.
        inTransaction("remove a delivered mail", em -> em.createQuery("delete from OutboundRelayMail m where m.id = :id")
                .setParameter("id", id).executeUpdate());
    }

    @Override
    public void defer(String id, int attempts, Instant due, String lastFailure) {
        refuseIfClosed();
        held.remove(id);
        int updated = inTransaction("record a retry", em -> em.createQuery("update OutboundRelayMail m set m.attempts = :attempts,"
                        + " m.due = :due, m.lastFailure = :failure, m.leaseOwner = null, m.leaseUntil = 0"
                        + " where m.id = :id and m.state = :queued and m.leaseOwner = :owner")
                .setParameter("attempts", attempts).setParameter("due", due.toEpochMilli())
                .setParameter("failure", truncate(lastFailure, 2000)).setParameter("id", id)
                .setParameter("queued", QueuedMailEntity.QUEUED).setParameter("owner", owner)
                .executeUpdate());
        if (updated == 0) {
            lostLease(id, "its retry");
        }
    }

    @Override
    public void deadLetter(String id, DeadLetter letter) {
        refuseIfClosed();
        held.remove(id);
        int updated = inTransaction("record a dead letter", em -> em.createQuery("update OutboundRelayMail m set m.state = :dead,"
                        + " m.attempts = :attempts, m.deadLetter = :letter, m.deadLettered = :at, m.leaseOwner = null, m.leaseUntil = 0"
                        + " where m.id = :id and m.state = :queued and m.leaseOwner = :owner")
                .setParameter("dead", QueuedMailEntity.DEAD).setParameter("attempts", letter.attempts())
                .setParameter("letter", letter.toJson()).setParameter("at", letter.deadLettered().toEpochMilli())
                .setParameter("id", id).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("owner", owner)
                .executeUpdate());
        if (updated == 0) {
            lostLease(id, "its dead letter");
        }
    }

    private void lostLease(String id, String what) {
        LOG.warnf("Outbound relay: mail %s of realm %s was taken over by another queue after this one's lease ran out; "
                + "%s is left to that queue", id, queueKey, what);
    }

    /**
     * The earliest due time of a row nobody holds, or, for a row under a live lease, when that lease runs out (the
     * holder may die), translated from the database's clock into this node's: a lease is never seen as over early.
     */
    @Override
    public Optional<Instant> nextDue() {
        long[] found = inTransaction("look for the next due mail", em -> {
            long databaseNow = databaseMillis(em);
            Long free = em.createQuery("select min(m.due) from OutboundRelayMail m where m.queueKey = :queue"
                            + " and m.state = :queued and m.leaseUntil <= :databaseNow", Long.class)
                    .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED)
                    .setParameter("databaseNow", databaseNow).getSingleResult();
            Long leaseEnd = em.createQuery("select min(m.leaseUntil) from OutboundRelayMail m where m.queueKey = :queue"
                            + " and m.state = :queued and m.leaseUntil > :databaseNow", Long.class)
                    .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED)
                    .setParameter("databaseNow", databaseNow).getSingleResult();
            return new long[] {free == null ? Long.MAX_VALUE : free,
                    leaseEnd == null ? Long.MAX_VALUE : clock.millis() + (leaseEnd - databaseNow)};
        });
        long next = Math.min(found[0], found[1]);
        return next == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(next));
    }

    /**
     * Extends this spool's leases on the mail its senders hold, from the database's clock, so that a slow relay never
     * lets another queue in. Called every third of a lease by {@link DatabaseQueueStore}.
     */
    void renewLeases(int maxIdsPerUpdate) {
        List<String> ids = List.copyOf(held);
        if (ids.isEmpty() || closed) {
            return;
        }
        inTransaction("renew leases", em -> {
            long until = databaseMillis(em) + lease.toMillis();
            for (int from = 0; from < ids.size(); from += maxIdsPerUpdate) {
                List<String> chunk = ids.subList(from, Math.min(ids.size(), from + maxIdsPerUpdate));
                em.createQuery("update OutboundRelayMail m set m.leaseUntil = :until"
                                + " where m.id in :ids and m.leaseOwner = :owner and m.state = :queued")
                        .setParameter("until", until).setParameter("ids", chunk).setParameter("owner", owner)
                        .setParameter("queued", QueuedMailEntity.QUEUED).executeUpdate();
            }
            return null;
        });
    }

    /**
     * The database's clock in epoch milliseconds, read in the caller's transaction: the one clock every node shares.
     * {@code current_timestamp} is the start of the transaction (PostgreSQL) or of the statement, depending on the
     * database: either is milliseconds from the updates that use it, as each transaction here is short. Tested on
     * PostgreSQL and on the H2 Keycloak ships (DatabaseSpoolIT).
     */
    static long databaseMillis(EntityManager em) {
        Object now = em.createQuery("select current_timestamp").getSingleResult();
        if (now instanceof java.util.Date date) {
            return date.getTime(); // java.sql.Timestamp: what Hibernate returns for current_timestamp
        }
        if (now instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (now instanceof java.time.OffsetDateTime offset) {
            return offset.toInstant().toEpochMilli();
        }
        if (now instanceof java.time.ZonedDateTime zoned) {
            return zoned.toInstant().toEpochMilli();
        }
        throw new IllegalStateException("the database's current_timestamp came back as " + now.getClass().getName());
    }

    private void refuseIfClosed() {
        if (closed) {
            throw new IllegalStateException("the database spool of realm " + queueKey + " is closed: nothing is written");
        }
    }

    @Override
    public Depth depth() {
        List<Object[]> rows = inTransaction("count the queue", em -> em.createQuery("select m.state, count(m), min(m.firstSubmitted)"
                        + " from OutboundRelayMail m where m.queueKey = :queue group by m.state", Object[].class)
                .setParameter("queue", queueKey).getResultList());
        long queued = 0;
        long dead = 0;
        Instant oldest = null;
        for (Object[] row : rows) {
            long count = ((Number) row[1]).longValue();
            if (QueuedMailEntity.QUEUED.equals(row[0])) {
                queued = count;
                oldest = row[2] == null ? null : Instant.ofEpochMilli(((Number) row[2]).longValue());
            } else if (QueuedMailEntity.DEAD.equals(row[0])) {
                dead = count;
            }
        }
        return new Depth(queued, oldest, dead);
    }

    @Override
    public List<DeadLetter> deadLetters(int limit) {
        List<QueuedMailEntity> rows = inTransaction("list dead letters", em -> em.createQuery("select m from OutboundRelayMail m"
                        + " where m.queueKey = :queue and m.state = :dead order by m.deadLettered, m.id", QueuedMailEntity.class)
                .setParameter("queue", queueKey).setParameter("dead", QueuedMailEntity.DEAD)
                .setMaxResults(limit).getResultList());
        return rows.stream().map(r -> DeadLetter.fromJson(r.id, r.deadLetter)).toList();
    }

    @Override
    public Optional<DeadLetter> requeueDeadLetter(String id, Instant now) {
        Optional<DeadLetter> requeued = inTransaction("queue a dead letter again", em -> {
            QueuedMailEntity row = lockedDeadLetter(em, id);
            if (row == null) {
                return Optional.<DeadLetter>empty();
            }
            if (row.message == null) {
                return null; // its body was deleted after the retention: nothing to send
            }
            // Its rendering, if any, stays: the mail goes out as it was rendered at submit, as from a file spool.
            DeadLetter letter = DeadLetter.fromJson(row.id, row.deadLetter);
            row.state = QueuedMailEntity.QUEUED;
            row.attempts = 0;
            row.firstSubmitted = now.toEpochMilli();
            row.due = now.toEpochMilli();
            row.lastFailure = "";
            row.deadLetter = null;
            row.deadLettered = null;
            row.leaseOwner = null;
            row.leaseUntil = 0;
            return Optional.of(letter);
        });
        if (requeued == null) {
            throw Spool.bodyDeleted(id);
        }
        return requeued;
    }

    /**
     * Deletes the message and the rendering of dead rows given up before {@code before} and of quarantined rows
     * quarantined before it (or by a version that did not record when). The rows stay, with their dead-letter record
     * or reason. A rendering whose message a node of the version before deleted (it knows no {@code RENDERED}) goes
     * too.
     */
    @Override
    public int deleteBodies(Instant before) {
        return inTransaction("delete the bodies of old dead letters", em -> em.createQuery("update OutboundRelayMail m"
                        + " set m.message = null, m.rendered = null where m.queueKey = :queue"
                        + " and (m.message is not null or m.rendered is not null) and ((m.state = :dead"
                        + " and m.deadLettered < :before) or (m.state = :quarantined and (m.deadLettered is null"
                        + " or m.deadLettered < :before)))")
                .setParameter("queue", queueKey).setParameter("dead", QueuedMailEntity.DEAD)
                .setParameter("quarantined", QueuedMailEntity.QUARANTINED).setParameter("before", before.toEpochMilli())
                .executeUpdate());
    }

    @Override
    public Optional<DeadLetter> purgeDeadLetter(String id) {
        return inTransaction("purge a dead letter", em -> {
            QueuedMailEntity row = lockedDeadLetter(em, id);
            if (row == null) {
                return Optional.<DeadLetter>empty();
            }
            em.remove(row);
            return Optional.of(DeadLetter.fromJson(row.id, row.deadLetter));
        });
    }

    private QueuedMailEntity lockedDeadLetter(EntityManager em, String id) {
        QueuedMailEntity row = em.find(QueuedMailEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
        return row != null && queueKey.equals(row.queueKey) && QueuedMailEntity.DEAD.equals(row.state) ? row : null;
    }

    /** Lets the other nodes take at once what this node claimed but will not send (Keycloak is stopping). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> unfinished = List.copyOf(held);
        held.clear();
        onClose.run();
        if (unfinished.isEmpty()) {
            return;
        }
        try {
            inTransaction("release claims", em -> em.createQuery("update OutboundRelayMail m set m.leaseOwner = null,"
                            + " m.leaseUntil = 0 where m.id in :ids and m.leaseOwner = :owner")
                    .setParameter("ids", unfinished).setParameter("owner", owner).executeUpdate());
        } catch (SpoolException e) {
            LOG.warnf("Outbound relay: %d claim(s) of realm %s could not be released (%s); other nodes take them when "
                    + "their leases run out", unfinished.size(), queueKey, e.getMessage());
        }
    }

    private <T> T inTransaction(String what, Function<EntityManager, T> work) {
        try {
            return database.call(work);
        } catch (RuntimeException e) {
            throw new SpoolException("database table " + TABLE + " (realm " + queueKey + ")", "cannot " + what + ": " + e,
                    "Check that Keycloak's database is reachable and has the table (Keycloak creates it at startup)", e);
        }
    }

    /** The columns that hold a mail's body, the reset link in it: both sealed by {@link #seal}. */
    private enum BodyColumn {
        MESSAGE, RENDERED
    }

    /**
     * What a body column stores: {@code plain} sealed with the realm's key (as it is when the realm has none), in
     * Base64. The one place a body is protected at rest.
     */
    private String seal(byte[] plain, String id, BodyColumn column) {
        return Base64.getEncoder().encodeToString(cipher.seal(plain, associatedData(id, column)));
    }

    /**
     * A body column's bytes as they were before {@link #seal}.
     *
     * @throws IllegalArgumentException when they cannot be opened (altered, moved from another row or column, a key
     *                                  that is gone)
     */
    private byte[] open(String stored, String id, BodyColumn column) {
        return cipher.open(Base64.getDecoder().decode(stored), associatedData(id, column));
    }

    /**
     * What a body is sealed against: its row, and for the rendering the column too, so that neither can be moved into
     * another row or into the other column and still open. {@code MESSAGE} keeps the row id alone, as rows of earlier
     * versions were sealed.
     */
    private static byte[] associatedData(String id, BodyColumn column) {
        return (column == BodyColumn.MESSAGE ? id : id + "/" + column.name()).getBytes(StandardCharsets.UTF_8);
    }

    private static String truncate(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
    }
}
