package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.QueueMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A realm's mail in one word, for monitoring: {@link Status#OK}, {@link Status#DEGRADED} or {@link Status#DOWN}, with
 * the reasons. Judged from the queue's {@link QueueMetrics} snapshot alone: no connection to a relay, no probe, so a
 * monitor may ask every few seconds. docs/keycloak.md ("Health") lists the rules.
 *
 * @param status  the worst of the reasons
 * @param reasons one line each, in the order checked; "delivering" when all is well
 */
record RealmHealth(Status status, List<String> reasons) {
    /** Mail older than this is waiting too long: DEGRADED. */
    static final Duration SLOW = Duration.ofMinutes(5);
    /** Mail older than this is stuck: DOWN, whatever the relays' state says. */
    static final Duration STUCK = Duration.ofMinutes(30);
    /** Share of mail refused permanently over the last hour above which the realm is DEGRADED. */
    static final double BOUNCE_RATE = 0.05;
    /** A queue this full of its cap is DEGRADED: new mail is refused when it is full. */
    static final double NEARLY_FULL = 0.8;

    enum Status { OK, DEGRADED, DOWN }

    RealmHealth {
        reasons = List.copyOf(reasons);
    }

    /**
     * @param metrics       the realm's queue on this node now
     * @param maxQueued     the server's cap on a realm's queued mail
     */
    static RealmHealth of(QueueMetrics metrics, long maxQueued) {
        Judgement j = new Judgement();
        List<QueueMetrics.RelayHealth> relays = metrics.relays();
        long taking = relays.stream().filter(r -> r.status() == QueueMetrics.Status.HEALTHY
                || r.status() == QueueMetrics.Status.TRIAL).count();
        for (QueueMetrics.RelayHealth r : relays) {
            if (r.status() != QueueMetrics.Status.HEALTHY) {
                j.add(taking == 0 ? Status.DOWN : Status.DEGRADED, relayLine(r));
            }
        }
        if (taking == 0 && !relays.isEmpty()) {
            j.add(Status.DOWN, "no relay takes mail: it waits in the queue until one does");
        }
        Duration oldest = metrics.oldestMessageAge();
        if (oldest.compareTo(STUCK) > 0) {
            j.add(Status.DOWN, "the oldest queued mail waits for " + minutes(oldest) + " (over " + minutes(STUCK) + ")");
        } else if (oldest.compareTo(SLOW) > 0) {
            j.add(Status.DEGRADED, "the oldest queued mail waits for " + minutes(oldest) + " (over " + minutes(SLOW) + ")");
        }
        if (maxQueued > 0 && metrics.queueDepth() >= NEARLY_FULL * maxQueued) {
            j.add(Status.DEGRADED, metrics.queueDepth() + " mails queued of at most " + maxQueued
                    + ": new mail is refused once the queue is full");
        }
        if (metrics.deadLetters() > 0) {
            j.add(Status.DEGRADED, metrics.deadLetters() + " dead letter(s) wait for an administrator (GET .../dead-letters)");
        }
        if (metrics.bounceRateLastHour() > BOUNCE_RATE) {
            j.add(Status.DEGRADED, String.format(java.util.Locale.ROOT, "%.0f%% of the last hour's mail was refused "
                    + "permanently (over %.0f%%)", metrics.bounceRateLastHour() * 100, BOUNCE_RATE * 100));
        }
        if (j.reasons.isEmpty()) {
            j.reasons.add("delivering");
        }
        return new RealmHealth(j.status, j.reasons);
    }

    /** A realm without a queue on this node: nothing was queued or resumed here since Keycloak started. */
    static RealmHealth noQueue(String why) {
        return new RealmHealth(Status.OK, List.of(why));
    }

    Map<String, Object> toMap(String realm) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("realm", realm);
        map.put("status", status.name());
        map.put("reasons", reasons);
        return map;
    }

    private static String relayLine(QueueMetrics.RelayHealth r) {
        StringBuilder line = new StringBuilder("relay ").append(r.relay()).append(' ').append(r.status());
        if (r.lastFailure() != null) {
            line.append(" after ").append(r.lastFailure()).append(" (").append(r.consecutiveFailures()).append(" failure(s))");
        }
        if (r.retryAt() != null) {
            line.append(", next try at ").append(r.retryAt());
        }
        return line.toString();
    }

    private static String minutes(Duration d) {
        return d.toMinutes() + " min";
    }

    /** The worst status so far and every reason. */
    private static final class Judgement {
        Status status = Status.OK;
        final List<String> reasons = new ArrayList<>();

        void add(Status s, String reason) {
            if (s.compareTo(status) > 0) {
                status = s;
            }
            reasons.add(reason);
        }
    }
}
