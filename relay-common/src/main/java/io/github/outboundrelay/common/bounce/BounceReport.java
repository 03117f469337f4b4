package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One recipient's outcome read from a delivery status notification (RFC 3464) or a feedback report (RFC 5965). A
 * report naming three recipients gives three of these. Every text field is empty, never null, when the report
 * does not carry it.
 *
 * <pre>{@code
 * for (BounceReport r : BounceReportParser.parse(rawMessageBytes)) {
 *     if (r.suppresses()) suppressionList.suppress(r.recipient(), r.kind(), r.status());
 * }
 * }</pre>
 *
 * @param kind              hard, soft, complaint or unknown
 * @param recipient         the address the report is about (Final-Recipient, or Original-Rcpt-To for a complaint)
 * @param status            the enhanced status code such as {@code 5.1.1}; empty for a complaint
 * @param diagnostic        the remote server's words (Diagnostic-Code), or the feedback type, or why nothing was known
 * @param originalMessageId the Message-ID of the mail we sent, from the returned headers
 * @param reportingMta      the MTA that wrote the report (Reporting-MTA), without its {@code dns;} type
 */
public record BounceReport(BounceKind kind, String recipient, String status, String diagnostic, String originalMessageId,
                           String reportingMta) {

    public BounceReport {
        Objects.requireNonNull(kind, "kind");
        recipient = clean(recipient);
        status = clean(status);
        diagnostic = clean(diagnostic);
        originalMessageId = clean(originalMessageId);
        reportingMta = clean(reportingMta);
    }

    /** This report, about {@code address} (the recipient a VERP envelope sender names). */
    BounceReport about(String address) {
        return new BounceReport(kind, address, status, diagnostic, originalMessageId, reportingMta);
    }

    static BounceReport unknown(String why, String originalMessageId, String reportingMta) {
        return new BounceReport(BounceKind.UNKNOWN, "", "", why, originalMessageId, reportingMta);
    }

    /** Whether this report puts its recipient on the suppression list by itself (a hard bounce or a complaint). */
    public boolean suppresses() {
        return (kind == BounceKind.HARD || kind == BounceKind.COMPLAINT) && !recipient.isEmpty();
    }

    /** The report as the CLI's JSON prints it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.label());
        m.put("recipient", recipient);
        m.put("status", status);
        m.put("diagnostic", diagnostic);
        m.put("originalMessageId", originalMessageId);
        m.put("reportingMta", reportingMta);
        return m;
    }

    /** Header values may be folded over lines and carry control characters: one printable line, bounded. */
    private static String clean(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replaceAll("[\\r\\n\\t]+", " ").replaceAll("\\p{Cntrl}", "").replaceAll(" {2,}", " ").strip();
        return line.length() > 500 ? line.substring(0, 500) + "..." : line;
    }
}
