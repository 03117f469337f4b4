package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.PrintableText;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of one probe step.
 *
 * @param step          which step
 * @param outcome       passed, failed, or skipped with the reason in {@code summary}
 * @param elapsedMillis how long the step took
 * @param summary       one line: what was found, or why it failed or was skipped
 * @param reply         the server's reply at this step, or empty
 * @param details       facts found on the way: addresses, TLS protocol and certificate, capabilities
 * @param category      the failure category when the step failed, else null
 * @param remedy        what to do about the failure, else empty
 */
public record ProbeStepResult(SmtpStep step, Outcome outcome, long elapsedMillis, String summary, String reply,
                              Map<String, String> details, FailureCategory category, String remedy) {

    public enum Outcome { PASSED, FAILED, SKIPPED }

    public ProbeStepResult {
        // What the server sent (replies, certificate names) ends up here: printable only, for terminals and pages.
        Map<String, String> printable = new LinkedHashMap<>();
        details.forEach((key, value) -> printable.put(key, PrintableText.escape(value)));
        details = Collections.unmodifiableMap(printable);
        summary = PrintableText.escape(summary);
        reply = reply == null ? "" : PrintableText.escape(reply);
        remedy = remedy == null ? "" : remedy;
    }

    /** The step as strings, numbers and a map of details; part of {@link ProbeReport#toMap()}. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("step", step.name());
        map.put("outcome", outcome.name());
        map.put("elapsedMillis", elapsedMillis);
        map.put("summary", summary);
        map.put("reply", reply);
        map.put("details", details);
        map.put("category", category == null ? null : category.name());
        map.put("transient", category == null ? null : category.isTransientByDefault());
        map.put("remedy", remedy);
        return map;
    }
}
