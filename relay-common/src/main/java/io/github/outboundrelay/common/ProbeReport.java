package io.github.outboundrelay.common;

import io.github.outboundrelay.common.json.Json;
import io.github.outboundrelay.common.redaction.PrintableText;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a test connection or test send found, step by step, with a transcript whose AUTH exchange and secrets are
 * redacted. Safe to show an administrator as it is.
 *
 * <pre>{@code
 * ProbeReport report = RelayClient.probe(settings, MailAddress.parse("me@example.com", "to"));
 * System.out.println(report.toText());
 * if (!report.passed()) showError(report.failure().get().remedy());
 * }</pre>
 *
 * @param relay      {@code host:port}
 * @param tlsMode    the TLS mode probed
 * @param steps      every step run or skipped, in order; the probe stops at the first failure
 * @param transcript the SMTP conversation, client lines prefixed {@code C:}, server lines {@code S:}
 */
public record ProbeReport(String relay, TlsMode tlsMode, List<ProbeStepResult> steps, List<String> transcript) {

    public ProbeReport {
        steps = List.copyOf(steps);
        transcript = transcript.stream().map(PrintableText::escape).toList();
    }

    /** True when no step failed. */
    public boolean passed() {
        return failure().isEmpty();
    }

    /** The step that failed, if any. */
    public Optional<ProbeStepResult> failure() {
        return steps.stream().filter(s -> s.outcome() == ProbeStepResult.Outcome.FAILED).findFirst();
    }

    /**
     * The report as strings, numbers, lists and maps, for an admin page or a REST answer: the same fields in every
     * adapter, serialised with whatever JSON the host has.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("relay", relay);
        map.put("tlsMode", tlsMode.name());
        map.put("passed", passed());
        map.put("steps", steps.stream().map(ProbeStepResult::toMap).toList());
        map.put("transcript", transcript);
        return map;
    }

    /** {@link #toMap()} as JSON, for {@code relay probe --json}. */
    public String toJson() {
        return Json.write(toMap());
    }

    /** The report as lines a person reads in a terminal. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append("Probe of ").append(relay).append(" (").append(tlsMode).append("): ")
                .append(passed() ? "every step passed" : "FAILED").append('\n');
        for (ProbeStepResult s : steps) {
            out.append(String.format("  %-7s %-10s %6d ms  %s%n", s.outcome(), s.step(), s.elapsedMillis(), s.summary()));
            s.details().forEach((k, v) -> out.append(String.format("  %27s%s: %s%n", "", k, v)));
            if (s.category() != null) {
                out.append(String.format("  %27scategory: %s (%s)%n", "", s.category(),
                        s.category().isTransientByDefault() ? "transient" : "permanent"));
                out.append(String.format("  %27sremedy: %s%n", "", s.remedy()));
            }
        }
        out.append("Transcript:\n");
        transcript.forEach(line -> out.append("  ").append(line).append('\n'));
        return out.toString();
    }
}
