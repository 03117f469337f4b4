package io.github.outboundrelay.common.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VerpTest {
    static final String SENDER = "bounces@mailbox.test";

    @Test
    void theEnvelopeSenderNamesTheRecipientAndDecodesBackToIt() {
        String verp = Verp.encode(SENDER, "ghost@example.org");

        assertThat(verp).isEqualTo("bounces+ghost=example.org@mailbox.test");
        assertThat(Verp.decode(SENDER, verp)).hasValue("ghost@example.org");
    }

    @Test
    void aRecipientWithItsOwnPlusOrEqualsSignRoundTrips() {
        for (String recipient : new String[] {"a+tag@example.org", "x=y@example.org", "a.b-c_d@sub.example.org"}) {
            assertThat(Verp.decode(SENDER, Verp.encode(SENDER, recipient))).as(recipient).hasValue(recipient);
        }
    }

    @Test
    void theSenderIsMatchedWithoutRegardToCaseAsMailboxesAre() {
        assertThat(Verp.decode(SENDER, "Bounces+Ghost=Example.org@MAILBOX.test")).hasValue("Ghost@Example.org");
    }

    @Test
    void anyOtherAddressNamesNobody() {
        assertThat(Verp.decode(SENDER, SENDER)).isEmpty();
        assertThat(Verp.decode(SENDER, "bounces+ghost=example.org@other.test")).as("another domain").isEmpty();
        assertThat(Verp.decode(SENDER, "bouncesx+ghost=example.org@mailbox.test")).as("another local part").isEmpty();
        assertThat(Verp.decode(SENDER, "bounces+ghost@mailbox.test")).as("plus addressing, no recipient").isEmpty();
        assertThat(Verp.decode(SENDER, "bounces+ghost=@mailbox.test")).as("no recipient domain").isEmpty();
        assertThat(Verp.decode(SENDER, "not an address")).isEmpty();
    }

    @Test
    void aLocalPartOverSixtyFourOctetsKeepsThePlainSenderSoTheRelayDoesNotRefuseIt() {
        String longRecipient = "a".repeat(60) + "@example.org";

        assertThat(Verp.encode(SENDER, longRecipient)).isEqualTo(SENDER);
        assertThat(Verp.encode(SENDER, "nodomain")).isEqualTo(SENDER);
    }
}
