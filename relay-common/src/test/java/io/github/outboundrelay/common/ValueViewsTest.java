package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The views adapters serialise with their host's JSON: plain values only, the same keys everywhere. */
class ValueViewsTest {
    private static final Instant T0 = Instant.parse("2026-12-03T07:00:00Z");

    private final DeadLetter letter = new DeadLetter("01a-02", "<m@x>", List.of("a***@example.com"), "Reset", "relay:587",
            FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 <b***@x.org>", "check the address", DeadLetter.Reason.REJECTED, 2,
            T0, T0.plusSeconds(60));

    @Test
    void aDeadLetterRecordSurvivesItsStoredForm() {
        assertThat(DeadLetter.fromJson("01a-02", letter.toJson())).isEqualTo(letter);
        assertThatThrownBy(() -> DeadLetter.fromJson("x", "{\"messageId\":1}")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeadLetterViewHoldsOnlyPlainValues() {
        Map<String, Object> map = letter.toMap();
        assertThat(map).containsEntry("category", "RECIPIENT_REJECTED").containsEntry("reason", "REJECTED")
                .containsEntry("attempts", 2L).containsEntry("deadLettered", "2026-12-03T07:01:00Z");
        assertThat(map.keySet()).containsExactly("id", "messageId", "recipients", "subject", "relay", "category", "reply",
                "remedy", "reason", "attempts", "firstSubmitted", "deadLettered");
    }

    @Test
    void aSuccessfulEventHasANullCategory() {
        DeliveryEvent sent = new DeliveryEvent(T0, DeliveryEvent.Outcome.SENT, "<m@x>", "relay:587", List.of("a***@example.com"),
                null, "250 OK", 1, 12, "");
        assertThat(sent.toMap()).containsEntry("outcome", "SENT").containsEntry("category", null)
                .containsEntry("time", "2026-12-03T07:00:00Z").containsEntry("durationMillis", 12L);
    }

    @Test
    void aProbeReportViewMatchesItsJson() {
        ProbeReport report = new ProbeReport("relay:587", TlsMode.STARTTLS, List.of(new ProbeStepResult(SmtpStep.TLS,
                ProbeStepResult.Outcome.FAILED, 3, "STARTTLS not offered", "", Map.of(), FailureCategory.STARTTLS_UNAVAILABLE,
                "use port 587")), List.of("S: 220 hi"));
        assertThat(report.toMap()).containsEntry("passed", false).containsEntry("tlsMode", "STARTTLS");
        assertThat(report.toJson()).contains("\"category\":\"STARTTLS_UNAVAILABLE\"").contains("\"transcript\":[\"S: 220 hi\"]");
    }
}
