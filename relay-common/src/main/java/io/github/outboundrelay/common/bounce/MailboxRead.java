package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one read of the bounce mailbox found.
 *
 * @param folder           the folder read
 * @param messagesInFolder how many messages the folder holds (read or not)
 * @param mails            the mails read, oldest first, each with its reports
 */
public record MailboxRead(String folder, int messagesInFolder, List<ReadMail> mails) {

    /**
     * One mail of the mailbox.
     *
     * @param uid     its IMAP UID
     * @param reports what it reported, never empty (an unreadable mail is one unknown report)
     */
    public record ReadMail(long uid, List<BounceReport> reports) {
        public ReadMail {
            reports = List.copyOf(reports);
        }

        /** Whether nothing in it was understood: it is left for a person. */
        public boolean unknown() {
            return reports.stream().allMatch(r -> r.kind() == BounceKind.UNKNOWN);
        }
    }

    public MailboxRead {
        mails = List.copyOf(mails);
    }

    /** Every report of every mail, in order. */
    public List<BounceReport> reports() {
        return mails.stream().flatMap(m -> m.reports().stream()).toList();
    }

    /** Reports per kind; every kind present, zero when none. */
    public Map<BounceKind, Integer> counts() {
        Map<BounceKind, Integer> counts = new EnumMap<>(BounceKind.class);
        for (BounceKind kind : BounceKind.values()) {
            counts.put(kind, 0);
        }
        reports().forEach(r -> counts.merge(r.kind(), 1, Integer::sum));
        return counts;
    }

    /** As the CLI's JSON prints it: the reports and their counts. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("folder", folder);
        m.put("messagesInFolder", (long) messagesInFolder);
        m.put("mailsRead", (long) mails.size());
        m.put("reports", reports().stream().map(BounceReport::toMap).toList());
        Map<String, Object> counts = new LinkedHashMap<>();
        counts().forEach((kind, n) -> counts.put(kind.label(), (long) n));
        m.put("counts", counts);
        return m;
    }
}
