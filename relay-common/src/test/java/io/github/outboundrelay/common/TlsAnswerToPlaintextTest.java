package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.PrintableText;

import static io.github.outboundrelay.common.FailureCategoriesTest.SHORT;
import static io.github.outboundrelay.common.FailureCategoriesTest.loopbackCert;
import static io.github.outboundrelay.common.FailureCategoriesTest.probeFails;
import static io.github.outboundrelay.common.FailureCategoriesTest.sendFails;
import static io.github.outboundrelay.common.FailureCategoriesTest.startTls;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.io.IOException;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A STARTTLS (or plaintext) client reaching a port that speaks TLS: the mismatch is named, with its remedy, and none of
 * the binary the port sent reaches a summary, an exception message or a transcript (the terminal: relay-cli's
 * RelayCliTlsMismatchTest).
 */
class TlsAnswerToPlaintextTest {
    /** Any control character but the line breaks a report is made of: what would garble a terminal. */
    static final Pattern CONTROL = Pattern.compile("[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f]");
    static final String RECORD_SHOWN = "\\x16\\x03\\x03";

    @ParameterizedTest(name = "hanging up after the record: {0}")
    @ValueSource(booleans = {false, true})
    void aPortAnsweringWithATlsRecordIsTlsModeMismatchAtOnceInTheSendPathAndTheProbe(boolean hangUp) throws IOException {
        try (ScriptedSmtpPeer tlsPort = ScriptedSmtpPeer.builder().tlsRecordFirst(hangUp).start()) {
            // A read timeout far longer than the test: recognising the record must not wait for it.
            RelaySettings settings = startTls(tlsPort.port())
                    .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(5))).build();
            long start = System.nanoTime();

            DeliveryException sent = sendFails(settings);
            assertThat(sent.category()).as(sent.getMessage()).isEqualTo(FailureCategory.TLS_MODE_MISMATCH);
            assertThat(sent.isTransient()).isFalse();
            assertThat(sent.remedy()).contains("465 speaks implicit TLS");
            assertThat(sent.getMessage()).contains(RECORD_SHOWN, "speaks implicit TLS, not STARTTLS").doesNotContainPattern(CONTROL);

            ProbeReport report = RelayClient.probe(settings, MailAddress.parse("alice@example.com", "to"));
            ProbeStepResult step = report.failure().orElseThrow();
            assertThat(step.step()).isEqualTo(SmtpStep.GREETING);
            assertThat(step.category()).as(step.summary()).isEqualTo(FailureCategory.TLS_MODE_MISMATCH);
            assertThat(step.remedy()).contains("Change the TLS mode or the port");
            assertThat(step.summary()).contains(RECORD_SHOWN);
            assertThat(report.transcript()).anySatisfy(line -> assertThat(line).startsWith("S: [").contains(RECORD_SHOWN));
            assertThat(report.toText()).doesNotContainPattern(CONTROL);
            assertThat(report.toJson()).doesNotContainPattern(CONTROL);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            assertThat(tlsPort.receivedCommand("EHLO")).as("nothing was said to it").isFalse();
        }
    }

    @Test
    void anImplicitTlsRelayProbedWithStartTlsIsTlsModeMismatchAndPrintsNoBinary() throws IOException {
        try (ScriptedSmtpPeer implicitTls = ScriptedSmtpPeer.builder().implicitTls(loopbackCert.serverContext()).start()) {
            RelaySettings settings = startTls(implicitTls.port()).timeouts(SHORT).build();
            DeliveryException sent = sendFails(settings);
            assertThat(sent.category()).isEqualTo(FailureCategory.TLS_MODE_MISMATCH);
            assertThat(sent.getMessage()).doesNotContainPattern(CONTROL);
            ProbeStepResult step = probeFails(settings);
            assertThat(step.category()).isEqualTo(FailureCategory.TLS_MODE_MISMATCH);
            assertThat(step.summary()).contains("speaks implicit TLS").doesNotContainPattern(CONTROL);
        }
    }

    @Test
    void controlCharactersAServerSendsAreEscapedInItsReply() {
        SmtpReply reply = SmtpReply.parse("550 5.7.1 \u001b[31mdenied\u0007\r\n550 second\u0085 line");
        assertThat(reply.text()).isEqualTo("\\x1b[31mdenied\\x07\nsecond\\x85 line");
        assertThat(PrintableText.escape("ok \u202e txt.exe é 😀")).isEqualTo("ok \\u202e txt.exe é 😀");
    }
}
