package io.github.outboundrelay.common;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One delivery attempt or queue decision, safe to show an administrator: never a password, token, AUTH line, body
 * or link, and recipient addresses masked unless the settings turn masking off.
 *
 * @param time        when it happened
 * @param outcome     what happened
 * @param messageId   the Message-ID of the mail concerned
 * @param relay       {@code host:port}
 * @param recipients  the recipients, masked as configured
 * @param category    the failure category, or null on success
 * @param reply       the relay's reply (addresses masked as configured), or empty
 * @param attempt     1 for the first attempt
 * @param durationMillis how long the attempt took
 * @param detail      one more line for a person: the remedy, or the next retry time
 */
public record DeliveryEvent(Instant time, Outcome outcome, String messageId, String relay, List<String> recipients,
                            FailureCategory category, String reply, int attempt, long durationMillis, String detail) {

    public enum Outcome {
        /** Every recipient accepted. */
        SENT,
        /** Accepted for some recipients, refused for others. */
        PARTIALLY_SENT,
        /** The attempt failed; see category. */
        FAILED,
        /** The queue will try this mail again after a backoff (a transient reply about this mail); detail says when. */
        RETRY_SCHEDULED,
        /** The queue keeps this mail waiting for a relay: the relay failed, paused after AUTH_FAILED or is cooling down. */
        DEFERRED,
        /** Refused permanently (5xx): moved to the dead letters, never retried on its own. */
        DEAD_LETTERED,
        /**
         * Given up and moved to the dead letters without another attempt: still failing when its lifetime ran out, or
         * (category {@link FailureCategory#EXPIRED}) the link it carried expired first.
         */
        EXPIRED,
        /** Not sent and not kept: a newer mail to the same recipient replaces it ({@link SendGate}). */
        SUPERSEDED,
        /**
         * Not sent as it is: with VERP on, a mail to several recipients was replaced in the queue by one mail per
         * recipient (same Message-ID and headers), each with its own VERP envelope sender; their own events follow,
         * and {@code detail} names their spool entries.
         */
        FANNED_OUT,
        /** A spool entry that could not be read was moved aside to the spool's quarantine directory. */
        QUARANTINED,
        /** An administrator put a dead letter back in the queue. */
        REQUEUED,
        /** An administrator deleted a dead letter. */
        PURGED,
        /**
         * A bounce or complaint report about a mail sent earlier arrived in the bounce mailbox; {@code messageId} is
         * the original mail's, {@code reply} the reported status, and {@code detail} the kind and the rates.
         */
        BOUNCE_REPORTED
    }

    public DeliveryEvent {
        recipients = List.copyOf(recipients);
        reply = reply == null ? "" : reply;
        detail = detail == null ? "" : detail;
    }

    /**
     * The event as strings, numbers and lists, for an admin page, a REST answer or {@code --json}: the same fields in
     * every adapter, serialised with whatever JSON the host has. The time is ISO-8601; category is null on success.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("time", time.toString());
        map.put("outcome", outcome.name());
        map.put("messageId", messageId);
        map.put("relay", relay);
        map.put("recipients", recipients);
        map.put("category", category == null ? null : category.name());
        map.put("reply", reply);
        map.put("attempt", attempt);
        map.put("durationMillis", durationMillis);
        map.put("detail", detail);
        return map;
    }

    /** The event as one {@code key=value} log line. */
    public String toLogLine() {
        return "outcome=" + outcome + " messageId=" + messageId + " relay=" + relay + " recipients=" + recipients
                + (category == null ? "" : " category=" + category)
                + (reply.isEmpty() ? "" : " reply=\"" + reply + "\"")
                + " attempt=" + attempt + " durationMs=" + durationMillis
                + (detail.isEmpty() ? "" : " detail=\"" + detail + "\"");
    }
}
