package io.github.outboundrelay.common;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bounce and complaint rates from the reports read in the bounce mailbox, over the last 24 hours and 7 days, with
 * the warnings their thresholds raise. A rate is reports / recipients the relay accepted in the same window; 0 when
 * nothing was sent.
 *
 * <pre>{@code
 * BounceMetrics b = queue.metrics().bounces();
 * if (!b.warnings().isEmpty()) alert(String.join("; ", b.warnings()));
 * }</pre>
 *
 * @param last24Hours          the last 24 hours
 * @param last7Days            the last 7 days
 * @param suppressedRecipients addresses on the suppression list now
 * @param warnings             one line per threshold crossed, worst first; empty when all is well
 */
public record BounceMetrics(Window last24Hours, Window last7Days, long suppressedRecipients, List<String> warnings) {

    /** No bounce tracking configured: all zero. */
    public static final BounceMetrics NONE = new BounceMetrics(Window.empty(Duration.ofHours(24)),
            Window.empty(Duration.ofDays(7)), 0, List.of());

    public BounceMetrics {
        warnings = List.copyOf(warnings);
    }

    /**
     * @param span             the window's length
     * @param sentRecipients   recipients the relay accepted
     * @param hardBounces      hard-bounce reports
     * @param softBounces      soft-bounce reports
     * @param complaints       complaint reports
     */
    public record Window(Duration span, long sentRecipients, long hardBounces, long softBounces, long complaints) {
        static Window empty(Duration span) {
            return new Window(span, 0, 0, 0, 0);
        }

        public double hardBounceRate() {
            return sentRecipients == 0 ? 0.0 : hardBounces / (double) sentRecipients;
        }

        public double complaintRate() {
            return sentRecipients == 0 ? 0.0 : complaints / (double) sentRecipients;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sentRecipients", sentRecipients);
            m.put("hardBounces", hardBounces);
            m.put("softBounces", softBounces);
            m.put("complaints", complaints);
            m.put("hardBounceRate", hardBounceRate());
            m.put("complaintRate", complaintRate());
            return m;
        }
    }

    /** As maps and numbers, for {@link io.github.outboundrelay.common.json.Json#write}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("last24Hours", last24Hours.toMap());
        m.put("last7Days", last7Days.toMap());
        m.put("suppressedRecipients", suppressedRecipients);
        m.put("warnings", warnings);
        return m;
    }
}
