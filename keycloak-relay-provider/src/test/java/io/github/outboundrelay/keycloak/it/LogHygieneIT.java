package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs after every other integration test (junit-platform.properties orders classes): Keycloak's log, after all the
 * mail the suite sent, holds no password and no reset link, and masks recipients.
 */
@ExtendWith(RealKeycloak.class)
@Order(Integer.MAX_VALUE)
class LogHygieneIT {
    private static final Pattern KEY = Pattern.compile("action-token\\?key=([A-Za-z0-9._\\-]+)");

    @Test
    void keycloaksLogHoldsNoPasswordNoResetLinkAndMasksRecipients(RealKeycloak.Suite suite) throws Exception {
        String log = suite.keycloak.log();
        assertThat(log).as("the provider loaded").contains("Outbound relay provider ready");

        assertThat(log).doesNotContain(suite.relayPassword).doesNotContain("not-the-relay-password")
                .doesNotContain(suite.keycloak.adminPassword());
        int links = 0;
        for (EmbeddedRelay.ReceivedMail mail : suite.relay.received()) {
            Matcher m = KEY.matcher(mail.content().replace("=\r\n", ""));
            while (m.find()) {
                links++;
                assertThat(log).doesNotContain(m.group(1));
            }
        }
        assertThat(log).doesNotContain("action-token?key=");
        System.out.printf("Keycloak's log (%d bytes) checked against %d mail(s) and %d action token(s)%n",
                log.length(), suite.relay.received().size(), links);

        assertThat(log).as("delivery events reach Keycloak's log, recipients masked")
                .containsPattern("outcome=SENT .*recipients=\\[[a-z]\\*\\*\\*@example\\.(org|com)\\]");
        assertThat(log).doesNotContain("recipients=[carol@example.org]");
    }
}
