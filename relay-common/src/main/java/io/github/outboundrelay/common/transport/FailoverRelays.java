package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.queue.RelayLane;

import java.util.List;

/**
 * The ordered relays: the first one that is healthy takes the mail. A relay cooling down after a failure (or paused
 * after a refused password) is skipped and the next one takes over; once its cool-down is over it gets one trial
 * mail and, when that goes through, the mail goes back to it. A healthy relay that is merely busy or throttled is
 * waited for, never skipped: the order is a preference, not load balancing, and a throttle is a promise to the
 * relay's operator.
 */
public final class FailoverRelays {
    /** The relay to use now, or none and how long until one may be ready ({@link Long#MAX_VALUE}: until woken). */
    public record Pick(RelayLane lane, long waitNanos) {
    }

    private final List<RelayLane> lanes;

    public FailoverRelays(List<RelayLane> lanes) {
        this.lanes = List.copyOf(lanes);
    }

    /** The first healthy relay, with its permits reserved ({@link RelayLane#reserve}), or how long to wait. */
    public Pick pick(long nowNanos) {
        long wait = Long.MAX_VALUE;
        for (RelayLane lane : lanes) {
            long blocked = lane.breaker.nanosUntilAllowed(nowNanos);
            if (blocked > 0) {
                wait = Math.min(wait, blocked);
                continue;
            }
            long ready = lane.reserve(nowNanos);
            if (ready == 0) {
                return new Pick(lane, 0);
            }
            return new Pick(null, Math.min(wait, ready));
        }
        return new Pick(null, wait);
    }

    /**
     * Whether {@code lane} is the relay {@link #pick} would choose now by health: it may take mail and no relay before
     * it may. A chain of mails on a relay's connection goes on only while this holds, so mail goes back to a
     * preferred relay as soon as it recovers, as mail by mail does. Reserves nothing.
     */
    public boolean isFirstHealthy(RelayLane lane, long nowNanos) {
        for (RelayLane l : lanes) {
            boolean healthy = l.breaker.nanosUntilAllowed(nowNanos) == 0;
            if (l == lane) {
                return healthy;
            }
            if (healthy) {
                return false;
            }
        }
        return false;
    }

    public List<RelayLane> lanes() {
        return lanes;
    }
}
