package io.github.outboundrelay.common.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactionTest {
    @Test
    void recipientsAreMaskedUnlessMaskingIsOff() {
        assertThat(Redaction.recipients(List.of("alice@example.com", "bob@x.org"), true))
                .containsExactly("a***@example.com", "b***@x.org");
        assertThat(Redaction.recipients(List.of("alice@example.com"), false)).containsExactly("alice@example.com");
    }

    @Test
    void addressesQuotedInARelayReplyAreMasked() {
        assertThat(Redaction.text("550 5.1.1 <bob@x.org>: unknown user", true)).isEqualTo("550 5.1.1 <b***@x.org>: unknown user");
        assertThat(Redaction.text("550 5.1.1 <bob@x.org>: unknown user", false)).contains("bob@x.org");
        assertThat(Redaction.text(null, true)).isNull();
    }

    @Test
    void aSecretNeverAppearsInATranscriptLine() {
        assertThat(Redaction.command("AUTH PLAIN")).isEqualTo("AUTH PLAIN [redacted]");
        assertThat(Redaction.command("")).isEqualTo("[redacted]");
        assertThat(Redaction.authChallenge("334 dXNlcjpzZWNyZXQ=")).isEqualTo("334 [redacted]").doesNotContain("dXNl");
        assertThat(Redaction.authChallenge("250 OK")).isNull();
    }
}
