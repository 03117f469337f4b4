package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostJsonTest {
    @Test
    void aNullValueKeepsItsKey() {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("metrics", null);
        answer.put("relays", List.of("a:587"));
        answer.put("depth", 3L);
        assertThat(HostJson.write(answer)).isEqualTo("{\"metrics\":null,\"relays\":[\"a:587\"],\"depth\":3}");
    }

    @Test
    void onlyOneObjectIsAccepted() {
        assertThat(HostJson.parseObject("{\"host\":\"relay\",\"port\":587,\"ssl\":true}"))
                .containsEntry("host", "relay").containsEntry("ssl", true);
        assertThatThrownBy(() -> HostJson.parseObject("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostJson.parseObject("{} {}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostJson.parseObject("null")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deepNestingIsRefusedBeforeItExhaustsTheStack() {
        String deep = "{\"a\":".repeat(HostJson.MAX_DEPTH + 1) + "1" + "}".repeat(HostJson.MAX_DEPTH + 1);
        assertThatThrownBy(() -> HostJson.parseObject(deep)).isInstanceOf(IllegalArgumentException.class);
    }
}
