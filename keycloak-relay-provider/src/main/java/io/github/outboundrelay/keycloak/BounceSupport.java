package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.BounceCountStore;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.SuppressionList;
import java.time.Duration;
import java.util.Optional;

/**
 * What a realm's bounce handling needs from Keycloak: the realm's suppression list and rate counts (in Keycloak's
 * database), the lease
 * that lets one node of the cluster poll the realm's mailbox, and what to do when an address becomes suppressed.
 * {@link #NONE} (tests without a Keycloak) keeps no list, so a realm's queue has no bounce handling.
 */
interface BounceSupport {
    BounceSupport NONE = new BounceSupport() {
        @Override
        public Optional<SuppressionList> list(String realmId) {
            return Optional.empty();
        }

        @Override
        public Optional<BounceCountStore> counts(String realmId) {
            return Optional.empty();
        }

        @Override
        public Duration countFlushPeriod() {
            return Duration.ofSeconds(ClusterOptions.DEFAULT_BOUNCE_COUNT_FLUSH_SECONDS);
        }

        @Override
        public Optional<BounceMailboxLease> lease() {
            return Optional.empty();
        }

        @Override
        public void suppressed(String realmId, Suppression suppression, boolean markUnverified) {
        }

        @Override
        public void forget(String realmId) {
        }
    };

    /** The realm's list, the same object for the life of the realm on this node; empty for no bounce handling. */
    Optional<SuppressionList> list(String realmId);

    /** Where the realm's rate counts are summed over the cluster; empty: this node counts in memory. */
    Optional<BounceCountStore> counts(String realmId);

    /** How often this node writes its counts to {@link #counts}. */
    Duration countFlushPeriod();

    /** The cluster's lease on mailboxes; empty when this node may always poll. */
    Optional<BounceMailboxLease> lease();

    /** An address became suppressed (on the polling thread): unverify its users if the realm wants it. */
    void suppressed(String realmId, Suppression suppression, boolean markUnverified);

    /** The realm was deleted: its list, counts and lease go. */
    void forget(String realmId);
}
