package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMetrics;
import java.time.Duration;
import java.time.Instant;

/**
 * The counts behind the rates, as {@link BounceTracker} uses them: {@link BounceCounts} (this node's, in memory) or
 * {@link StoredBounceCounts} (shared through a {@link io.github.outboundrelay.common.BounceCountStore}).
 */
interface RateCounts {
    /** Called once per sent mail: must stay a memory update. */
    void sent(int recipients, Instant now);

    void reported(BounceKind kind, Instant now);

    /** The counts of the whole hours of {@code span} up to {@code now}'s hour. */
    BounceMetrics.Window window(Duration span, Instant now);
}
