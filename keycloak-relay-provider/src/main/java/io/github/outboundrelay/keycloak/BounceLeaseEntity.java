package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of {@code OUTBOUND_RELAY_BOUNCE_LEASE} per realm: the node that polls the realm's bounce mailbox, and until
 * when ({@link BounceMailboxLease}). Deleted with the realm.
 */
@Entity(name = "OutboundRelayBounceLease")
@Table(name = "OUTBOUND_RELAY_BOUNCE_LEASE")
public class BounceLeaseEntity {
    @Id
    @Column(name = "REALM_ID")
    protected String realmId;

    @Column(name = "OWNER", nullable = false)
    protected String owner;

    /** Epoch milliseconds, the wall clock every node shares. */
    @Column(name = "LEASE_UNTIL", nullable = false)
    protected long leaseUntil;

    protected BounceLeaseEntity() {
    }

    BounceLeaseEntity(String realmId, String owner, long leaseUntil) {
        this.realmId = realmId;
        this.owner = owner;
        this.leaseUntil = leaseUntil;
    }
}
