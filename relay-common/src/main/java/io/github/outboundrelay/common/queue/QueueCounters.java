package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.spool.Spool;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The queue's running totals, updated by the senders without locks, read into a {@link QueueMetrics}. */
public final class QueueCounters {
    public final LongAdder submitted = new LongAdder();
    final LongAdder sent = new LongAdder();
    final LongAdder deferred = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    final LongAdder expired = new LongAdder();
    public final LongAdder quarantined = new LongAdder();
    private final Map<FailureCategory, LongAdder> byCategory = new EnumMap<>(FailureCategory.class);
    private final SlidingWindowCounter sentLastHour = new SlidingWindowCounter(60, 60_000);
    private final SlidingWindowCounter bouncedLastHour = new SlidingWindowCounter(60, 60_000);
    private volatile BounceWatch bounces = BounceWatch.NONE;

    public QueueCounters() {
        for (FailureCategory c : FailureCategory.values()) {
            byCategory.put(c, new LongAdder());
        }
    }

    void sent(Instant now, int acceptedRecipients) {
        sent.increment();
        sentLastHour.add(now.toEpochMilli());
        bounces.sent(acceptedRecipients, now);
    }

    /** Where accepted recipients are counted for the bounce rates; set once, before the first mail. */
    public void bounces(BounceWatch watch) {
        this.bounces = watch;
    }

    void failed(FailureCategory category) {
        failed.increment();
        byCategory.get(category).increment();
    }

    void deadLettered(DeadLetter.Reason reason, Instant now) {
        deadLettered.increment();
        if (reason == DeadLetter.Reason.EXPIRED) {
            expired.increment();
        } else if (reason == DeadLetter.Reason.REJECTED) {
            bouncedLastHour.add(now.toEpochMilli()); // A suppressed mail was never offered: not the relay's bounce.
        }
    }

    public QueueMetrics snapshot(Instant now, Spool.Depth depth, List<QueueMetrics.RelayHealth> relays) {
        Map<FailureCategory, Long> categories = new EnumMap<>(FailureCategory.class);
        byCategory.forEach((c, n) -> {
            long v = n.sum();
            if (v > 0) {
                categories.put(c, v);
            }
        });
        long bounced = bouncedLastHour.sum(now.toEpochMilli());
        long delivered = sentLastHour.sum(now.toEpochMilli());
        double bounceRate = bounced + delivered == 0 ? 0.0 : bounced / (double) (bounced + delivered);
        Duration oldest = depth.oldestSubmitted() == null ? Duration.ZERO
                : Duration.between(depth.oldestSubmitted(), now);
        if (oldest.isNegative()) {
            oldest = Duration.ZERO;
        }
        return new QueueMetrics(now, submitted.sum(), sent.sum(), deferred.sum(), retried.sum(), failed.sum(),
                deadLettered.sum(), expired.sum(), quarantined.sum(), depth.queued(), oldest, depth.deadLetters(),
                categories, bounceRate, relays, bounces.metrics(now));
    }
}
