package io.github.outboundrelay.common.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JsonTest {
    static String nested(int depth) {
        return "{\"a\":" + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
    }

    @Test
    void nestingIsAllowedUpToTheLimitAndRefusedBeyondIt() {
        assertThat(Json.parseObject(nested(Json.MAX_DEPTH))).containsKey("a");
        assertThatThrownBy(() -> Json.parseObject(nested(Json.MAX_DEPTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested deeper than 64 levels");
        assertThatThrownBy(() -> Json.parseObject(nested(100_000))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIntegerBeyondALongIsStillANumber() {
        assertThat(Json.parseObject("{\"n\":99999999999999999999}").get("n")).isEqualTo(1e20);
        assertThat(Json.parseObject("{\"n\":42}").get("n")).isEqualTo(42L);
        assertThatThrownBy(() -> Json.parseObject("{\"n\":1-2}")).hasMessageContaining("bad number");
    }
}
