package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of {@code OUTBOUND_RELAY_SUPPRESSION_REV} per realm: a number raised in the same transaction as every change
 * to the realm's suppression list, so that a node learns whether its copy is current with one primary-key read
 * ({@link DatabaseSuppressionList}).
 */
@Entity(name = "OutboundRelaySuppressionRevision")
@Table(name = "OUTBOUND_RELAY_SUPPRESSION_REV")
public class SuppressionRevisionEntity {
    @Id
    @Column(name = "REALM_ID")
    protected String realmId;

    @Column(name = "REVISION", nullable = false)
    protected long revision;

    protected SuppressionRevisionEntity() {
    }

    SuppressionRevisionEntity(String realmId) {
        this.realmId = realmId;
    }
}
