package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of {@code OUTBOUND_RELAY_SUPPRESSION}: an address on a realm's suppression list ({@link DatabaseSuppressionList}),
 * in Keycloak's database so that every node honours it. The id is derived from realm and address, so two nodes writing
 * the same address write the same row. Times are epoch milliseconds. Deleted with the realm.
 */
@Entity(name = "OutboundRelaySuppression")
@Table(name = "OUTBOUND_RELAY_SUPPRESSION")
public class SuppressionEntity {
    @Id
    @Column(name = "ID", length = 64)
    protected String id;

    @Column(name = "REALM_ID", nullable = false)
    protected String realmId;

    /** Lower-cased, as {@code Suppression.normalize} keys it. */
    @Column(name = "ADDRESS", nullable = false, length = 320)
    protected String address;

    @Column(name = "SUPPRESSED", nullable = false)
    protected boolean suppressed;

    @Column(name = "REASON", nullable = false, length = 16)
    protected String reason;

    @Column(name = "STATUS", length = 32)
    protected String status;

    @Column(name = "DIAGNOSTIC", length = 1000)
    protected String diagnostic;

    @Column(name = "SOFT_BOUNCES", nullable = false)
    protected int softBounces;

    @Column(name = "SINCE", nullable = false)
    protected long since;

    @Column(name = "LAST_REPORT", nullable = false)
    protected long lastReport;

    protected SuppressionEntity() {
    }
}
