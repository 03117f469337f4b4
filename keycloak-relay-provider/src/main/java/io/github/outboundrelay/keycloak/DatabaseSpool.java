package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.Json;
import io.github.outboundrelay.common.MessageCodec;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Spool;
import io.github.outboundrelay.common.SpoolException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Runnable onClose;
    private volatile QuarantineListener quarantine = QuarantineListener.NONE;

    /**
     * @param queueKey the realm's id: every node's queue for the realm reads the same rows
     * @param owner    this node's name in {@code LEASE_OWNER}
     * @param onClose  told when the spool closes (it stops renewing its leases)
     */
    DatabaseSpool(Database database, String queueKey, String owner, Duration lease, Runnable onClose) {
        this.database = database;
        this.queueKey = queueKey;
        this.owner = owner;
        this.lease = lease;
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
        String encoded = Base64.getEncoder().encodeToString(MessageCodec.encode(message));
        inTransaction("store a mail", em -> {
            em.persist(QueuedMailEntity.queued(id, queueKey, message.messageId(), encoded, now.toEpochMilli()));
            return null;
        });
        return id;
    }

    @Override
    public List<Entry> claimDue(Instant now, int max) {
        long nowMillis = now.toEpochMilli();
        List<QueuedMailEntity> quarantined = new ArrayList<>();
        List<Entry> claimed = inTransaction("claim due mail", em -> {
            List<String> candidates = em.createQuery("select m.id from OutboundRelayMail m where m.queueKey = :queue"
                            + " and m.state = :queued and m.due <= :now and m.leaseUntil <= :now order by m.due, m.id", String.class)
                    .setParameter("queue", queueKey).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("now", nowMillis)
                    .setMaxResults(max + CLAIM_SLACK)
                    .getResultList();
            List<Entry> entries = new ArrayList<>();
            for (String id : candidates) {
                if (entries.size() == max) {
                    break;
                }
                int won = em.createQuery("update OutboundRelayMail m set m.leaseOwner = :owner, m.leaseUntil = :until"
                                + " where m.id = :id and m.state = :queued and m.leaseUntil <= :now")
                        .setParameter("owner", owner).setParameter("until", nowMillis + lease.toMillis())
                        .setParameter("id", id).setParameter("queued", QueuedMailEntity.QUEUED).setParameter("now", nowMillis)
                        .executeUpdate();
                if (won == 0) {
                    continue; // another node claimed it first
                }
                QueuedMailEntity row = em.find(QueuedMailEntity.class, id);
                try {
                    OutboundMessage message = MessageCodec.decode(Base64.getDecoder().decode(row.message));
                    entries.add(new Entry(row.id, message, row.attempts, Instant.ofEpochMilli(row.firstSubmitted),
                            Instant.ofEpochMilli(row.due), row.lastFailure));
                } catch (IllegalArgumentException e) {
                    row.state = QueuedMailEntity.QUARANTINED;
                    row.lastFailure = truncate("unreadable: " + e.getMessage(), 2000);
                    row.leaseOwner = null;
                    row.leaseUntil = 0;
                    quarantined.add(row);
                }
            }
            return entries;
        });
        claimed.forEach(e -> held.add(e.id()));
        for (QueuedMailEntity row : quarantined) {
            quarantine.quarantined(row.id, "table " + TABLE + ", row " + row.id + " (state " + QueuedMailEntity.QUARANTINED + ")",
                    row.lastFailure);
        }
        return claimed;
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
                .setParameter("letter", toJson(letter)).setParameter("at", letter.deadLettered().toEpochMilli())
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
        return rows.stream().map(r -> fromJson(r.id, r.deadLetter)).toList();
    }

    @Override
    public Optional<DeadLetter> requeueDeadLetter(String id, Instant now) {
        return inTransaction("queue a dead letter again", em -> {
            QueuedMailEntity row = lockedDeadLetter(em, id);
            if (row == null) {
                return Optional.<DeadLetter>empty();
            }
            DeadLetter letter = fromJson(row.id, row.deadLetter);
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
    }

    @Override
    public Optional<DeadLetter> purgeDeadLetter(String id) {
        return inTransaction("purge a dead letter", em -> {
            QueuedMailEntity row = lockedDeadLetter(em, id);
            if (row == null) {
                return Optional.<DeadLetter>empty();
            }
            em.remove(row);
            return Optional.of(fromJson(row.id, row.deadLetter));
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

    static String toJson(DeadLetter d) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("messageId", d.messageId());
        map.put("recipients", d.recipients());
        map.put("subject", d.subject());
        map.put("relay", d.relay());
        map.put("category", d.category().name());
        map.put("reply", d.reply());
        map.put("remedy", d.remedy());
        map.put("reason", d.reason().name());
        map.put("attempts", (long) d.attempts());
        map.put("firstSubmitted", d.firstSubmitted().toEpochMilli());
        map.put("deadLettered", d.deadLettered().toEpochMilli());
        return Json.write(map);
    }

    @SuppressWarnings("unchecked")
    static DeadLetter fromJson(String id, String json) {
        Map<String, Object> m = Json.parseObject(json);
        return new DeadLetter(id, (String) m.get("messageId"), (List<String>) m.get("recipients"), (String) m.get("subject"),
                (String) m.get("relay"), FailureCategory.valueOf((String) m.get("category")), (String) m.get("reply"),
                (String) m.get("remedy"), DeadLetter.Reason.valueOf((String) m.get("reason")),
                ((Number) m.get("attempts")).intValue(), Instant.ofEpochMilli(((Number) m.get("firstSubmitted")).longValue()),
                Instant.ofEpochMilli(((Number) m.get("deadLettered")).longValue()));
    }

    private static String truncate(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max);
    }
}
