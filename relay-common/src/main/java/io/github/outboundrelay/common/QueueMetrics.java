package io.github.outboundrelay.common;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of the queue for an admin page or a monitoring scrape. Totals count since the queue started (they
 * are not persisted); depth and dead letters are what the spool holds now.
 *
 * <pre>{@code
 * QueueMetrics m = queue.metrics();
 * if (m.oldestMessageAge().toMinutes() > 30) alert("mail is stuck: " + m.relays());
 * Map<String, Object> view = m.toMap();   // serialise with the host's JSON
 * }</pre>
 *
 * @param time               when the snapshot was taken
 * @param submitted          mails accepted by {@code submit}
 * @param sent               mails the relay accepted (also those refused for some recipients)
 * @param deferred           times a mail was put back to wait (retry after backoff, or waiting for a relay)
 * @param retried            delivery attempts that were not a mail's first
 * @param failed             delivery attempts that failed, whatever happened next
 * @param deadLettered       mails given up: refused permanently or expired
 * @param expired            of those, mails given up because their lifetime ran out
 * @param quarantined        spool entries moved aside because they could not be read
 * @param queueDepth         mails waiting or being delivered
 * @param oldestMessageAge   age of the oldest of them; zero when the queue is empty
 * @param deadLetters        dead letters kept, waiting for an administrator
 * @param failuresByCategory failed attempts per category
 * @param bounceRateLastHour permanently refused mails / (sent + permanently refused), over the last hour; 0 when none
 * @param relays             each relay's health, in failover order
 */
public record QueueMetrics(Instant time, long submitted, long sent, long deferred, long retried, long failed,
                           long deadLettered, long expired, long quarantined, long queueDepth,
                           Duration oldestMessageAge, long deadLetters, Map<FailureCategory, Long> failuresByCategory,
                           double bounceRateLastHour, List<RelayHealth> relays) {

    public QueueMetrics {
        failuresByCategory = Collections.unmodifiableMap(new EnumMap<>(failuresByCategory.isEmpty()
                ? new EnumMap<>(FailureCategory.class) : failuresByCategory));
        relays = List.copyOf(relays);
    }

    /** How a relay is doing. */
    public enum Status {
        /** Taking mail. */
        HEALTHY,
        /** Failed (connection, TLS, timeout); skipped until {@code retryAt}, then given one trial mail. */
        COOLING_DOWN,
        /** Cool-down over: one trial mail decides whether it is healthy again. */
        TRIAL,
        /** Refused the credentials: paused until {@code retryAt} so the account is not locked. */
        PAUSED_AUTH_FAILED
    }

    /**
     * @param relay               {@code host:port}
     * @param status              see {@link Status}
     * @param retryAt             when a cooling or paused relay gets its trial mail, or null
     * @param consecutiveFailures failures since it last worked
     * @param lastFailure         the category of its last failure, or null
     * @param lastFailureDetail   one line about it, or empty
     * @param inFlight            mails being sent to it now
     * @param sent                mails it accepted
     * @param failed              attempts on it that failed
     * @param throttle            its rate limits
     */
    public record RelayHealth(String relay, Status status, Instant retryAt, int consecutiveFailures,
                              FailureCategory lastFailure, String lastFailureDetail, int inFlight, long sent,
                              long failed, Throttle throttle) {
    }

    /** The snapshot as maps, lists, strings and numbers, serialised with whatever JSON the host has. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", time.toString());
        m.put("submitted", submitted);
        m.put("sent", sent);
        m.put("deferred", deferred);
        m.put("retried", retried);
        m.put("failed", failed);
        m.put("deadLettered", deadLettered);
        m.put("expired", expired);
        m.put("quarantined", quarantined);
        m.put("queueDepth", queueDepth);
        m.put("oldestMessageAgeSeconds", oldestMessageAge.toSeconds());
        m.put("deadLetters", deadLetters);
        Map<String, Object> categories = new LinkedHashMap<>();
        failuresByCategory.forEach((c, n) -> categories.put(c.name(), n));
        m.put("failuresByCategory", categories);
        m.put("bounceRateLastHour", bounceRateLastHour);
        m.put("relays", relays.stream().map(r -> {
            Map<String, Object> relay = new LinkedHashMap<>();
            relay.put("relay", r.relay());
            relay.put("status", r.status().name());
            relay.put("retryAt", r.retryAt() == null ? null : r.retryAt().toString());
            relay.put("consecutiveFailures", (long) r.consecutiveFailures());
            relay.put("lastFailure", r.lastFailure() == null ? null : r.lastFailure().name());
            relay.put("lastFailureDetail", r.lastFailureDetail());
            relay.put("inFlight", (long) r.inFlight());
            relay.put("sent", r.sent());
            relay.put("failed", r.failed());
            relay.put("messagesPerMinute", (long) r.throttle().perMinute());
            relay.put("messagesPerHour", (long) r.throttle().perHour());
            relay.put("recipientsPerMinute", (long) r.throttle().recipientsPerMinute());
            relay.put("recipientsPerHour", (long) r.throttle().recipientsPerHour());
            return relay;
        }).toList());
        return m;
    }
}
