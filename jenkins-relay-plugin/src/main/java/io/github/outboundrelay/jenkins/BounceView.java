package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMailboxStatus;
import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.Suppression;
import java.util.List;
import java.util.Locale;

/**
 * What the page's bounce section shows: the mailbox's status, the rates with their warnings, and the suppression
 * list (or the part of it a search found). Only plain values, so that the page needs no logic. The list shows
 * addresses whole: the page is for administrators only, and an address must be seen to be fixed or removed; logs
 * and delivery events mask them (docs/bounces.md).
 *
 * @param mailboxConfigured whether a bounce mailbox is set; without it the list changes only by hand
 * @param mailbox           the mailbox's last poll, or null without a mailbox
 * @param rates             the 24 h and 7 d windows
 * @param warnings          one line per threshold crossed, worst first
 * @param suppressedCount   addresses suppressed now
 * @param search            the text the list was filtered by, empty for all
 * @param suppressions      the entries shown, at most {@link #SHOWN}
 * @param problem           why there is nothing to show (no queue yet...) or why the mailbox is not read, or null
 */
public record BounceView(boolean mailboxConfigured, Mailbox mailbox, List<Rate> rates, List<String> warnings,
                         long suppressedCount, String search, List<Suppression> suppressions, String problem) {
    /** Entries the page shows at most; a search narrows a longer list. */
    static final int SHOWN = 200;

    public BounceView {
        rates = List.copyOf(rates);
        warnings = List.copyOf(warnings);
        suppressions = List.copyOf(suppressions);
    }

    static BounceView unavailable(String problem) {
        return new BounceView(false, null, List.of(), List.of(), 0, "", List.of(), problem);
    }

    static BounceView of(BounceMailboxStatus status, BounceMetrics metrics, String search, List<Suppression> shown,
                         String mailboxProblem) {
        return new BounceView(status != null, status == null ? null : Mailbox.of(status),
                List.of(Rate.of("24 h", metrics.last24Hours()), Rate.of("7 d", metrics.last7Days())), metrics.warnings(),
                metrics.suppressedRecipients(), search, shown, mailboxProblem);
    }

    /** The mailbox's status as text cells. */
    public record Mailbox(String lastPoll, String lastSuccess, boolean failed, String failure, String failureDetail,
                          String remedy, long mailsRead, long hard, long soft, long complaints, long unknown) {
        static Mailbox of(BounceMailboxStatus s) {
            return new Mailbox(s.lastPoll() == null ? "not yet" : s.lastPoll().toString(),
                    s.lastSuccess() == null ? "never" : s.lastSuccess().toString(), s.failure() != null,
                    s.failure() == null ? "" : s.failure().name(), s.failureDetail(), s.remedy(), s.mailsRead(),
                    count(s, BounceKind.HARD), count(s, BounceKind.SOFT), count(s, BounceKind.COMPLAINT),
                    count(s, BounceKind.UNKNOWN));
        }

        private static long count(BounceMailboxStatus s, BounceKind kind) {
            return s.reports().getOrDefault(kind, 0L);
        }
    }

    /** One window of the rates. */
    public record Rate(String window, long sentRecipients, long hardBounces, String hardBounceRate, long softBounces,
                       long complaints, String complaintRate) {
        static Rate of(String window, BounceMetrics.Window w) {
            return new Rate(window, w.sentRecipients(), w.hardBounces(), percent(w.hardBounceRate()), w.softBounces(),
                    w.complaints(), percent(w.complaintRate()));
        }

        private static String percent(double rate) {
            return String.format(Locale.ROOT, "%.2f %%", rate * 100);
        }
    }
}
