package io.github.outboundrelay.common.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;

import jakarta.mail.MessagingException;
import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class AngusWriteTimeoutTest {
    @Test
    void angusWriteTimeoutIsATimeoutNotALostConnection() {
        // What Angus's TimeoutOutputStream throws once mail.smtp.writetimeout closed the socket under a blocked write.
        IOException angus = new IOException("Write timed out", new SocketException("Socket closed"));
        MessagingException wrapped = new MessagingException("IOException while sending message", angus);

        FailureClassifier.Failure failure = FailureClassifier.ofIo(SmtpStep.DATA, wrapped, TlsMode.IMPLICIT_TLS, 465);

        assertThat(failure.category()).isEqualTo(FailureCategory.TIMEOUT);
        assertThat(failure.transientFailure()).isTrue();
    }

    @Test
    void aClosedSocketWithoutATimeoutStaysALostConnection() {
        MessagingException wrapped = new MessagingException("IOException while sending message", new SocketException("Socket closed"));

        assertThat(FailureClassifier.ofIo(SmtpStep.DATA, wrapped, TlsMode.NONE, 25).category())
                .isEqualTo(FailureCategory.CONNECTION_LOST);
    }
}
