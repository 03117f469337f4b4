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
 * <p><b>Guarantees.</b> {@link #store} returns once the row is committed. A node claims a due row with a lease: a
 * conditional update ({@code ... WHERE LEASE_UNTIL <= now}) that exactly one node wins, so no two nodes send a mail
 * at once while its lease holds; the holder renews its leases every third of the lease ({@link DatabaseQueueStore})
 * while it sends. When a node dies its leases run out and another node claims the rows: delivery is at-least-once,
 * with the Message-ID kept. A mail the relay accepted just before its sender died is sent again. A node that lost
 * a lease (a pause longer than the lease) still deletes a row it delivered, but its retry or dead letter does not
 * overwrite the new holder's state. No row lock is held while a mail is sent.
 *
 * <p><b>At rest.</b> {@code MESSAGE} holds the message sealed with the realm's AES key ({@link BodyCipher}, the row
 * id as associated data; rows written before encryption stay readable), Base64-encoded. A delivered row is deleted.
 * Dead and quarantined rows lose their {@code MESSAGE} (set to null) once older than the retention
 * ({@link #deleteBodies}); {@code DEAD_LETTERED} says when they became so.
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
    private volatile QuarantineListener quarantine = QuarantineListener.NONE;

    /**
     * @param queueKey the realm's id: every node's queue for the realm reads the same rows
     * @param owner    this node's name in {@code LEASE_OWNER}
     * @param cipher   seals the messages it stores (the realm's key)
     * @param onClose  told when the spool closes (it stops renewing its leases)
     */
    DatabaseSpool(Database database, String queueKey, String owner, Duration lease, BodyCipher cipher, Runnable onClose) {
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
        String id = UUID.randomUUID().toString();
        // Sealed before the transaction: the realm's key is looked up in a transaction of its own.
        String encoded = Base64.getEncoder().encodeToString(cipher.seal(MessageCodec.encode(message), associatedData(id)));
        inTransaction("store a mail", em -> {
            em.persist(QueuedMailEntity.queued(id, queueKey, message.messageId(), encoded, now.toEpochMilli()));
            return null;
        });
        return id;
    }

    @Override
    public List<Entry> claimDue(Instant now, int max) {
        long nowMillis = now.toEpochMilli();
        List<QueuedMailEntity> rows = inTransaction("claim due mail", em -> {
            List<String> candidates = em.createQuery("select m.id from OutboundRelayMail m where m.queueKey = :queue"
                            + " and m.state = :queued and m.due <= :now and m.leaseUntil <= :now order by m.due, m.id", String.class)
                    .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("now", nowMillis)
                    .setMaxResults(max + CLAIM_SLACK)
                    .getResultList();
            List<QueuedMailEntity> won = new ArrayList<>();
            for (String id : candidates) {
                if (won.size() == max) {
                    break;
                }
                int updated = em.createQuery("update OutboundRelayMail m set m.leaseOwner = :owner, m.leaseUntil = :until"
                                + " where m.id = :id and m.state = :queued and m.leaseUntil <= :now")
                        .setParameter("owner", owner).setParameter("until", nowMillis + lease.toMillis())
                        .setParameter("id", id).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("now", nowMillis)
                        .executeUpdate();
                if (updated == 1) { // 0: another node claimed it first
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
                OutboundMessage message = MessageCodec.decode(cipher.open(Base64.getDecoder().decode(row.message),
                        associatedData(row.id)));
                claimed.add(new Entry(row.id, message, row.attempts, Instant.ofEpochMilli(row.firstSubmitted),
                        Instant.ofEpochMilli(row.due), row.lastFailure));
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
        held.remove(id);
        // Deleted whoever holds it now: the mail went out, a second send by a node that took over is at most a copy.
        inTransaction("remove a delivered mail", em -> em.createQuery("delete from OutboundRelayMail m where m.id = :id")
                .setParameter("id", id).executeUpdate());
    }

    @Override
    public void defer(String id, int attempts, Instant due, String lastFailure) {
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
        LOG.warnf("Outbound relay: mail %s of realm %s was taken over by another node after this node's lease ran out; "
                + "%s is left to that node", id, queueKey, what);
    }

    @Override
    public Optional<Instant> nextDue() {
        // A row leased by a node is due again when its lease runs out, if that node dies meanwhile.
        Long next = inTransaction("look for the next due mail", em -> em.createQuery("select min(case when m.leaseUntil > m.due"
                        + " then m.leaseUntil else m.due end) from OutboundRelayMail m where m.queueKey = :queue and m.state = :queued",
                        Long.class)
                .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED)
                .getSingleResult());
        return next == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(next));
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
     * Deletes the message of dead rows given up before {@code before} and of quarantined rows quarantined before it
     * (or by a version that did not record when). The rows stay, with their dead-letter record or reason.
     */
    @Override
    public int deleteBodies(Instant before) {
        return inTransaction("delete the bodies of old dead letters", em -> em.createQuery("update OutboundRelayMail m"
                        + " set m.message = null where m.queueKey = :queue and m.message is not null and ((m.state = :dead"
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

    private static byte[] associatedData(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    private static String truncate(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
    }
}
