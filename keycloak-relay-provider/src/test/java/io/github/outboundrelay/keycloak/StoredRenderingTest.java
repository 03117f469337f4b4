package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The frame of RENDERED: what goes in comes out, and damage is refused with what is wrong, never a byte of the mail. */
class StoredRenderingTest {
    static final byte[] MAIL = "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\nhttps://sso.example.com/reset?key=secret\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @Test
    void aRenderingComesBackByteForByteAnEmptyOneToo() {
        assertThat(StoredRendering.decode(StoredRendering.encode(MAIL))).isEqualTo(MAIL);
        assertThat(StoredRendering.decode(StoredRendering.encode(new byte[0]))).isEmpty();
    }

    @Test
    void aFlippedBitIsCaughtByTheChecksum() {
        byte[] stored = StoredRendering.encode(MAIL);
        stored[stored.length - 5] ^= 0x20;

        assertThatThrownBy(() -> StoredRendering.decode(stored)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stored rendering checksum mismatch");
    }

    @Test
    void aTruncatedRenderingOrAnotherFormatIsRefusedWithoutShowingTheMail() {
        byte[] stored = StoredRendering.encode(MAIL);

        assertThatThrownBy(() -> StoredRendering.decode(Arrays.copyOf(stored, stored.length - 1)))
                .hasMessage("stored rendering truncated. Expected length: " + MAIL.length + ", actual: " + (MAIL.length - 1));
        assertThatThrownBy(() -> StoredRendering.decode(Arrays.copyOf(stored, 7)))
                .hasMessage("stored rendering truncated: 7 bytes");
        assertThatThrownBy(() -> StoredRendering.decode(MAIL)).hasMessage("not a stored rendering (unknown magic)");
    }
}
