package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** The regular expression {@link SmtpReply#parse} used before it was written out by hand: the oracle. */
    private static final Pattern FORMER = Pattern.compile("^(\\d{3})[ -]?(?:([245]\\.\\d{1,3}\\.\\d{1,3})\\s+)?(.*)$", Pattern.DOTALL);

    @Test
    void theHandWrittenParserReadsWhatTheFormerExpressionRead() {
        Random random = new Random(13);
        String alphabet = "0123456789245..  --\t\r\nabcXYZ:<>@\u00e9\u0007";
        String[] seeds = {"250 2.1.5 Ok", "550 5.1.1 <bob@example.org>: unknown", "250-a\r\n250 b", "4211.2.3 x",
                "250 2.0.0", "354 ", "553-5.7.1 no\r\n553 5.7.1 really", "25", "250 2.1234.5 x", "250 9.1.1 x"};
        for (int n = 0; n < 20_000; n++) {
            String text;
            if (n < seeds.length) {
                text = seeds[n];
            } else {
                StringBuilder b = new StringBuilder(random.nextBoolean() ? seeds[random.nextInt(seeds.length)] : "");
                for (int k = random.nextInt(16); k > 0; k--) {
                    b.insert(random.nextInt(b.length() + 1), alphabet.charAt(random.nextInt(alphabet.length())));
                }
                text = b.toString();
            }
            Matcher m = FORMER.matcher(text.strip());
            SmtpReply parsed = SmtpReply.parse(text);
            if (!m.matches()) {
                assertThat(parsed).as(text).isNull();
                continue;
            }
            String rest = m.group(3).replaceAll("\\s*\\r?\\n\\d{3}[ -](?:[245]\\.\\d{1,3}\\.\\d{1,3}\\s+)?", "\n");
            assertThat(parsed).as(text).isEqualTo(new SmtpReply(Integer.parseInt(m.group(1)), m.group(2), rest));
        }
    }
}
