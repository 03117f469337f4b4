package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.OutboundMessage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stored form a database spool keeps: the same message back, Message-ID included, or a clear refusal. */
class MessageCodecTest {
    static OutboundMessage message() {
        return OutboundMessage.builder().from("sso@example.com").to("ann@example.org").cc("bob@example.org")
                .replyTo("help@example.com").subject("Reset your password").text("Follow the link").html("<p>Follow</p>")
                .header("X-Realm", "demo").build();
    }

    @Test
    void aStoredMessageDecodesToAnEqualMessageWithTheSameMessageId() {
        OutboundMessage m = message();
        OutboundMessage again = MessageCodec.decode(MessageCodec.encode(m));
        assertThat(again).isEqualTo(m);
        assertThat(again.messageId()).isEqualTo(m.messageId());
    }

    @Test
    void aDamagedOrTruncatedMessageIsRefusedWithWhatIsWrong() {
        byte[] stored = MessageCodec.encode(message());
        byte[] flipped = stored.clone();
        flipped[flipped.length - 3] ^= 0x20;
        assertThatThrownBy(() -> MessageCodec.decode(flipped)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("checksum");
        assertThatThrownBy(() -> MessageCodec.decode(Arrays.copyOf(stored, stored.length - 1)))
                .hasMessageContaining("Expected length");
        assertThatThrownBy(() -> MessageCodec.decode(new byte[] {1, 2, 3})).hasMessageContaining("truncated");
    }
}
