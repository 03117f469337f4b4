package io.github.outboundrelay.common;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the bounce mailbox is doing, as an admin page shows it: the last poll, its failure with the remedy, what was read.
 *
 * @param lastPoll      when the last poll ended, or null before the first
 * @param lastSuccess   when a poll last worked, or null
 * @param failure       the last poll's failure category, or null when it worked
 * @param failureDetail what happened, or empty
 * @param remedy        what to do about it, or empty
 * @param mailsRead     mails taken from the mailbox since start
 * @param reports       reports read since start, per kind
 */
public record BounceMailboxStatus(Instant lastPoll, Instant lastSuccess, BounceMailboxFailure failure, String failureDetail,
                                  String remedy, long mailsRead, Map<BounceKind, Long> reports) {
    public BounceMailboxStatus {
        reports = Map.copyOf(reports);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lastPoll", lastPoll == null ? null : lastPoll.toString());
        m.put("lastSuccess", lastSuccess == null ? null : lastSuccess.toString());
        m.put("failure", failure == null ? null : failure.name());
        m.put("failureDetail", failureDetail);
        m.put("remedy", remedy);
        m.put("mailsRead", mailsRead);
        Map<String, Object> kinds = new LinkedHashMap<>();
        for (BounceKind kind : BounceKind.values()) {
            kinds.put(kind.label(), reports.getOrDefault(kind, 0L));
        }
        m.put("reports", kinds);
        return m;
    }
}

