package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BodyCipherTest {
    static final byte[] BODY = "reset here: https://sso.example.com/reset?key=0c1e7a".getBytes(StandardCharsets.UTF_8);
    static final byte[] ENTRY_A = "0190f3c2a1b4-3f9a2c1d000001".getBytes(StandardCharsets.UTF_8);
    static final byte[] ENTRY_B = "0190f3c2a1b4-3f9a2c1d000002".getBytes(StandardCharsets.UTF_8);

    final FixedBodyKeys keys = FixedBodyKeys.withKey("k1");
    final BodyCipher cipher = BodyCipher.aesGcm(keys);

    @Test
    void aSealedBodyOpensToTheSameBytesAndHoldsNoneOfThemInClear() {
        byte[] sealed = cipher.seal(BODY, ENTRY_A);

        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("sso.example.com").contains("k1");
        assertThat(cipher.open(sealed, ENTRY_A)).isEqualTo(BODY);
    }

    @Test
    void everySealUsesAFreshNonceSoTheSameBodyNeverLooksTheSameTwice() {
        assertThat(cipher.seal(BODY, ENTRY_A)).isNotEqualTo(cipher.seal(BODY, ENTRY_A));
    }

    @Test
    void aBodyAlteredOrMovedToAnotherEntryDoesNotOpen() {
        byte[] sealed = cipher.seal(BODY, ENTRY_A);
        byte[] altered = sealed.clone();
        altered[altered.length - 20] ^= 0x01;

        assertThatThrownBy(() -> cipher.open(altered, ENTRY_A)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failed authentication with key k1");
        assertThatThrownBy(() -> cipher.open(sealed, ENTRY_B)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("belongs to another entry");
    }

    @Test
    void aBodySealedBeforeARotationOpensWithItsOwnKeyAndOneWhoseKeyIsGoneSaysSo() {
        byte[] old = cipher.seal(BODY, ENTRY_A);
        keys.rotateTo("k2");
        byte[] fresh = cipher.seal(BODY, ENTRY_A);

        assertThat(new String(fresh, StandardCharsets.ISO_8859_1)).contains("k2");
        assertThat(cipher.open(old, ENTRY_A)).isEqualTo(BODY);
        assertThatThrownBy(() -> BodyCipher.aesGcm(keys.without("k1")).open(old, ENTRY_A))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key k1, which no longer exists");
        assertThatThrownBy(() -> BodyCipher.NONE.open(old, ENTRY_A))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encrypted (key k1) but this spool has no keys");
    }

    @Test
    void bytesThatWereNeverSealedAreReadAsTheyAreSoOldSpoolsKeepWorking() {
        assertThat(cipher.open(BODY, ENTRY_A)).isEqualTo(BODY);
        assertThat(BodyCipher.NONE.seal(BODY, ENTRY_A)).isEqualTo(BODY);
    }

    @Test
    void withoutACurrentKeyBodiesAreStoredAsTheyAre() {
        BodyCipher keyless = BodyCipher.aesGcm(keys.without("k1"));
        assertThat(keyless.seal(BODY, ENTRY_A)).isEqualTo(BODY);
    }

    @Test
    void aKeyNeverShowsItsMaterial() {
        assertThat(keys.current().orElseThrow().toString()).isEqualTo("Key[k1]");
        assertThatThrownBy(() -> new BodyKeys.Key("has space", keys.current().orElseThrow().secret()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
