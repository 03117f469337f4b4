package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SmtpReplyTest {

    @Test
    void parsesCodeEnhancedCodeAndText() {
        SmtpReply r = SmtpReply.parse("535 5.7.8 Error: authentication failed");
        assertThat(r.code()).isEqualTo(535);
        assertThat(r.enhanced()).isEqualTo("5.7.8");
        assertThat(r.text()).isEqualTo("Error: authentication failed");
        assertThat(r.isPermanent()).isTrue();
        assertThat(r.isTransient()).isFalse();
    }

    @Test
    void joinsTheLinesOfAMultiLineReply() {
        SmtpReply r = SmtpReply.parse("250-relay.example.com\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN");
        assertThat(r.code()).isEqualTo(250);
        assertThat(r.text().split("\n")).containsExactly("relay.example.com", "PIPELINING", "AUTH PLAIN LOGIN");
        assertThat(r.toString()).isEqualTo("250 relay.example.com PIPELINING AUTH PLAIN LOGIN");
    }

    @Test
    void classifiesTransientAndClosingReplies() {
        assertThat(SmtpReply.parse("451 4.7.1 try later").isTransient()).isTrue();
        assertThat(SmtpReply.parse("421 4.3.2 shutting down").closesConnection()).isTrue();
        assertThat(SmtpReply.parse("250 ok").isPositive()).isTrue();
        assertThat(SmtpReply.parse("not a reply")).isNull();
    }

    @Test
    void masksAddressesInsideFreeText() {
        assertThat(RecipientMask.maskWithin("550 5.1.1 <bob@example.org>: unknown, cc alice@example.com"))
                .isEqualTo("550 5.1.1 <b***@example.org>: unknown, cc a***@example.com");
        assertThat(RecipientMask.mask("jörg@bücher.example")).isEqualTo("j***@bücher.example");
    }
}
