package io.github.outboundrelay.keycloak;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of {@code OUTBOUND_RELAY_THROTTLE}: a rate limit's budget shared by every node, kept as the single number a
 * token bucket needs in a database ({@link DatabaseThrottleBudget}): the time at which the bucket is full again.
 */
@Entity(name = "OutboundRelayThrottle")
@Table(name = "OUTBOUND_RELAY_THROTTLE")
public class ThrottleBudgetEntity {
    @Id
    @Column(name = "BUDGET_KEY")
    protected String key;

    /** When the bucket is full again, epoch microseconds; at or before now means full. */
    @Column(name = "FULL_AT_MICROS", nullable = false)
    protected long fullAtMicros;

    protected ThrottleBudgetEntity() {
    }

    ThrottleBudgetEntity(String key, long fullAtMicros) {
        this.key = key;
        this.fullAtMicros = fullAtMicros;
    }
}
