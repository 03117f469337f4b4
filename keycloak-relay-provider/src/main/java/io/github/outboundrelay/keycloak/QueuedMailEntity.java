package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of {@code OUTBOUND_RELAY_MAIL}: a queued mail, a dead letter or a quarantined row, in Keycloak's database
 * so that every node of a cluster sees and delivers it. Written only by {@link DatabaseSpool}; the layout is
 * created by {@code META-INF/outbound-relay-changelog.xml}. Times are epoch milliseconds.
 *
 * <p>A row is <em>claimable</em> when it is {@code QUEUED}, due, and its lease has run out
 * ({@code LEASE_UNTIL <= now} in the database's clock; 0 when nobody holds it). A spool claims it with a conditional
 * update that only one spool can win, and holds the lease while it sends.
 */
@Entity(name = "OutboundRelayMail")
@Table(name = "OUTBOUND_RELAY_MAIL")
public class QueuedMailEntity {
    static final String QUEUED = "QUEUED";
    static final String DEAD = "DEAD";
    static final String QUARANTINED = "QUARANTINED";

    @Id
    @Column(name = "ID", length = 36)
    protected String id;

    /** The queue the row belongs to: the realm's id. */
    @Column(name = "QUEUE_KEY", nullable = false)
    protected String queueKey;

    @Column(name = "STATE", nullable = false, length = 16)
    protected String state;

    @Column(name = "MESSAGE_ID", nullable = false, length = 1000)
    protected String messageId;

    /**
     * The message as {@code MessageCodec} encodes it, sealed with the realm's key ({@code BodyCipher}), in Base64;
     * null once a dead or quarantined row's body was deleted after the retention.
     */
    @Column(name = "MESSAGE")
    protected String message;

    /**
     * The mail as {@code MimeRenderer} rendered it at submit, framed by {@link StoredRendering}, sealed like
     * {@link #message} (associated data: the row id and {@code RENDERED}), in Base64; null in rows written before
     * changeSet {@code outbound-relay-4-rendered}, and whenever {@link #message} is null.
     */
    @Column(name = "RENDERED")
    protected String rendered;

    @Column(name = "ATTEMPTS", nullable = false)
    protected int attempts;

    @Column(name = "FIRST_SUBMITTED", nullable = false)
    protected long firstSubmitted;

    @Column(name = "DUE", nullable = false)
    protected long due;

    @Column(name = "LAST_FAILURE", length = 2000)
    protected String lastFailure;

    /** The spool holding the claim, while one does: node, process, spool number. */
    @Column(name = "LEASE_OWNER")
    protected String leaseOwner;

    @Column(name = "LEASE_UNTIL", nullable = false)
    protected long leaseUntil;

    /** The dead letter as JSON, once the queue gave up. */
    @Column(name = "DEAD_LETTER")
    protected String deadLetter;

    /** When the row became a dead letter, or was quarantined. */
    @Column(name = "DEAD_LETTERED")
    protected Long deadLettered;

    protected QueuedMailEntity() {
    }

    static QueuedMailEntity queued(String id, String queueKey, String messageId, String message, String rendered,
                                   long now) {
        QueuedMailEntity e = new QueuedMailEntity();
        e.id = id;
        e.queueKey = queueKey;
        e.state = QUEUED;
        e.messageId = messageId;
        e.message = message;
        e.rendered = rendered;
        e.attempts = 0;
        e.firstSubmitted = now;
        e.due = now;
        e.lastFailure = "";
        e.leaseUntil = 0;
        return e;
    }
}
