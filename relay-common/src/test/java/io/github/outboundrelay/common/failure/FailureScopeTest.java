package io.github.outboundrelay.common.failure;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Who a failure is about decides whether the queue fails over, backs off the mail, or dead-letters it. */
class FailureScopeTest {

    static DeliveryException failure(SmtpStep step, String reply) {
        return FailureClassifier.ofReply(step, SmtpReply.parse(reply)).toException("relay.test:587", null);
    }

    @Test
    void aClientBlockedAtTheGreetingFailsOverInsteadOfBouncingTheMail() {
        DeliveryException blocked = failure(SmtpStep.GREETING, "554 5.7.1 Service unavailable; client host blocked");
        assertThat(blocked.category()).isEqualTo(FailureCategory.RELAY_DENIED);
        assertThat(blocked.step()).contains(SmtpStep.GREETING);
        assertThat(FailureScope.of(blocked)).isEqualTo(FailureScope.RELAY);
    }

    @Test
    void relayingRefusedForARecipientIsAboutThatMail() {
        assertThat(FailureScope.of(failure(SmtpStep.RCPT_TO, "554 5.7.1 <a@b.example>: Relay access denied")))
                .isEqualTo(FailureScope.MESSAGE_PERMANENT);
        assertThat(FailureScope.of(failure(SmtpStep.MAIL_FROM, "451 4.7.1 Greylisted")))
                .isEqualTo(FailureScope.MESSAGE_TRANSIENT);
    }

    @Test
    void refusedCredentialsPauseTheRelay() {
        assertThat(FailureScope.of(failure(SmtpStep.AUTH, "535 5.7.8 Authentication failed")))
                .isEqualTo(FailureScope.RELAY_CREDENTIALS);
    }
}
