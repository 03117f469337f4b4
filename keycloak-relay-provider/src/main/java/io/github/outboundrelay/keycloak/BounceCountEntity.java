package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/**
 * One row of {@code OUTBOUND_RELAY_BOUNCE_COUNT}: a realm's counts for one hour, summed over every node
 * ({@link DatabaseBounceCountStore}).
 */
@Entity(name = "OutboundRelayBounceCount")
@Table(name = "OUTBOUND_RELAY_BOUNCE_COUNT")
@IdClass(BounceCountEntity.Key.class)
public class BounceCountEntity {
    @Id
    @Column(name = "REALM_ID")
    protected String realmId;

    /** Whole hours since the epoch. */
    @Id
    @Column(name = "EPOCH_HOUR")
    protected long epochHour;

    @Column(name = "SENT", nullable = false)
    protected long sent;

    @Column(name = "HARD_BOUNCES", nullable = false)
    protected long hardBounces;

    @Column(name = "SOFT_BOUNCES", nullable = false)
    protected long softBounces;

    @Column(name = "COMPLAINTS", nullable = false)
    protected long complaints;

    protected BounceCountEntity() {
    }

    BounceCountEntity(String realmId, long epochHour) {
        this.realmId = realmId;
        this.epochHour = epochHour;
    }

    /** The primary key: realm and hour. */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        protected String realmId;
        protected long epochHour;

        public Key() {
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.epochHour == epochHour && Objects.equals(k.realmId, realmId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(realmId, epochHour);
        }
    }
}
