package io.github.outboundrelay.keycloak;

import static io.github.outboundrelay.keycloak.ActionLinksForTests.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.SendGate;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ActionMailGateTest {
    static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
    final ActionMailGate gate = new ActionMailGate();

    @Test
    void theLinksKindAndExpiryAreReadFromTheTokensClaims() {
        OutboundMessage reset = mail("bob@example.com", "Reset password", "reset-credentials", NOW.plusSeconds(300));
        assertThat(ActionLink.in(reset)).contains(new ActionLink("reset-credentials", NOW.plusSeconds(300)));
        OutboundMessage htmlOnly = OutboundMessage.builder().to("bob@example.com").subject("s").html(reset.html()).build();
        assertThat(ActionLink.in(htmlOnly)).as("found in the HTML body, &amp; and all")
                .contains(new ActionLink("reset-credentials", NOW.plusSeconds(300)));
    }

    @Test
    void aMailWithoutAReadableActionLinkIsLeftToItsRetryLifetime() {
        OutboundMessage plain = OutboundMessage.builder().to("bob@example.com").subject("Login from a new device")
                .text("See https://sso.example.com/realms/acme/account").build();
        assertThat(ActionLink.in(plain)).isEmpty();
        assertThat(gate.check(plain, NOW, NOW)).isEqualTo(SendGate.Verdict.SEND);
        OutboundMessage garbage = OutboundMessage.builder().to("bob@example.com").subject("s")
                .text("https://x/login-actions/action-token?key=aaa.bm90IGpzb24.sig").build();
        assertThat(ActionLink.in(garbage)).as("a payload that is not JSON").isEmpty();
        assertThat(ActionLink.claims("eyJ0eXAiOiJyZXNldC1jcmVkZW50aWFscyJ9")).as("no exp").isEqualTo(Optional.empty());
    }

    @Test
    void aMailWhoseLinkExpiredIsStoppedAsExpiredWithTheKindAndTimeButNotTheLink() {
        OutboundMessage reset = mail("bob@example.com", "Reset password", "reset-credentials", NOW.plusSeconds(300));
        assertThat(gate.check(reset, NOW, NOW.plusSeconds(299))).isEqualTo(SendGate.Verdict.SEND);
        SendGate.Verdict verdict = gate.check(reset, NOW, NOW.plusSeconds(300));
        assertThat(verdict.decision()).isEqualTo(SendGate.Decision.EXPIRED);
        assertThat(verdict.reason()).isEqualTo("its reset-credentials link expired at 2026-05-01T10:05:00Z")
                .doesNotContain("key=");
    }

    @Test
    void aNewerResetMailToTheSameAddressSupersedesTheOlderOne() {
        OutboundMessage older = mail("bob@example.com", "first", "reset-credentials", NOW.plusSeconds(300));
        OutboundMessage newer = mail("Bob@Example.com", "second", "reset-credentials", NOW.plusSeconds(301));
        gate.queued(older, NOW);
        assertThat(gate.check(older, NOW, NOW).decision()).as("nothing newer yet").isEqualTo(SendGate.Decision.SEND);
        gate.queued(newer, NOW.plusMillis(5));

        SendGate.Verdict verdict = gate.check(older, NOW, NOW.plusSeconds(1));
        assertThat(verdict.decision()).isEqualTo(SendGate.Decision.SUPERSEDED);
        assertThat(verdict.reason()).isEqualTo("a newer reset-credentials mail to the same address was queued at "
                + "2026-05-01T10:00:00.005Z: only its link is sent");
        assertThat(gate.check(newer, NOW.plusMillis(5), NOW.plusSeconds(1)).decision()).isEqualTo(SendGate.Decision.SEND);
    }

    @Test
    void mailToAnotherAddressOrOfAnotherKindIsNotSuperseded() {
        OutboundMessage bob = mail("bob@example.com", "s", "reset-credentials", NOW.plusSeconds(300));
        gate.queued(bob, NOW);
        gate.queued(mail("carol@example.com", "s", "reset-credentials", NOW.plusSeconds(300)), NOW.plusSeconds(1));
        gate.queued(mail("bob@example.com", "s", "verify-email", NOW.plusSeconds(300)), NOW.plusSeconds(1));
        assertThat(gate.check(bob, NOW, NOW.plusSeconds(2)).decision()).isEqualTo(SendGate.Decision.SEND);
    }

    @Test
    void executeActionsMailIsNeverSupersededItMayNameOtherActions() {
        OutboundMessage first = mail("bob@example.com", "Update password", "execute-actions", NOW.plusSeconds(3600));
        gate.queued(first, NOW);
        gate.queued(mail("bob@example.com", "Configure OTP", "execute-actions", NOW.plusSeconds(3600)), NOW.plusSeconds(1));
        assertThat(gate.check(first, NOW, NOW.plusSeconds(2)).decision()).isEqualTo(SendGate.Decision.SEND);
    }

    @Test
    void aMailQueuedAgainAfterTheNewerOneIsNotSupersededByIt() {
        // A dead letter retried by an administrator gets a fresh submission time: newer than what was queued before.
        OutboundMessage older = mail("bob@example.com", "first", "reset-credentials", NOW.plusSeconds(900));
        gate.queued(mail("bob@example.com", "second", "reset-credentials", NOW.plusSeconds(900)), NOW.plusSeconds(10));
        assertThat(gate.check(older, NOW.plusSeconds(60), NOW.plusSeconds(61)).decision()).isEqualTo(SendGate.Decision.SEND);
    }
}
