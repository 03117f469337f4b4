package io.github.outboundrelay.jenkins;

import hudson.util.FormValidation;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.ProbeStepResult;

/**
 * A probe report as the answer to a "Test connection" / "Send test email" button: a headline, the failed step's
 * category and remedy, then the step report and transcript as preformatted text. Every piece of text from the
 * relay, the settings or the report is escaped here: the *WithMarkup answer is shown as HTML as it is.
 */
final class ProbeHtml {
    private ProbeHtml() {
    }

    static FormValidation render(ProbeReport report) {
        StringBuilder html = new StringBuilder("<div class=\"outbound-relay-probe\">");
        if (report.passed()) {
            html.append("<p><strong>").append(escape("Every step passed: " + report.relay() + " (" + report.tlsMode() + ")"))
                    .append("</strong></p>");
        } else {
            ProbeStepResult failed = report.failure().orElseThrow();
            html.append("<p><strong>").append(escape(failed.category() + " at step " + failed.step() + ": " + failed.summary()))
                    .append("</strong></p><p>").append(escape(failed.remedy())).append("</p>");
        }
        html.append("<pre>").append(escape(report.toText())).append("</pre></div>");
        return report.passed() ? FormValidation.okWithMarkup(html.toString()) : FormValidation.errorWithMarkup(html.toString());
    }

    static FormValidation invalid(InvalidInputException e) {
        return FormValidation.error("Not tested: " + e.field() + " " + e.problem() + ". " + e.fix());
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
