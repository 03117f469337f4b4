package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Job mail as a job gives it: recipients as typed, the body's type, and the sender's identity. */
class MailComposerTest {

    @Test
    void jobMailWithoutItsOwnFromGetsAMessageIdAtTheConfiguredFromDomainNotTheBuildHost() {
        // A real Jenkins sent job mail with Message-IDs at localhost.localdomain: a spam signal at the receiver.
        OutboundMessage message = MailComposer.compose("team@example.com", "Build failed", "body", "text/plain", "",
                "Jenkins <jenkins@ci.example.org>", Map.of());
        assertThat(message.messageId()).matches("<[0-9a-f-]{36}@ci\\.example\\.org>");
        assertThat(message.from()).isNull(); // the relay settings fill it in at send time
    }

    @Test
    void aJobsOwnFromGivesTheMessageIdItsDomain() {
        OutboundMessage message = MailComposer.compose("team@example.com", "s", "b", "text/plain", "builds@example.net",
                "jenkins@ci.example.org", Map.of());
        assertThat(message.messageId()).endsWith("@example.net>");
    }

    @Test
    void recipientsAreSeparatedByCommasSemicolonsOrLines() {
        OutboundMessage message = MailComposer.compose("a@example.com, Bob <b@example.com>;c@example.com\nd@example.com",
                "s", "b", null, null, "jenkins@example.com", Map.of());
        assertThat(message.recipients()).hasSize(4);
    }

    @Test
    void anUnsupportedMimeTypeNamesTheField() {
        assertThatThrownBy(() -> MailComposer.compose("a@example.com", "s", "b", "application/pdf", null, "jenkins@example.com", Map.of()))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("mimeType:");
    }

    @Test
    void aJobNameWithALineBreakCannotInjectHeaders() {
        // Jenkins refuses such names, but a header is validated wherever its value comes from.
        assertThatThrownBy(() -> MailComposer.compose("a@example.com", "s", "b", null, null, "jenkins@example.com",
                new JobOrigin("app\r\nBcc: everyone@example.net", 3, null).headers()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("headers.X-Jenkins-Job: contains a line break");
    }
}
