package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cluster's provider options: the bounce count flush period's default, range and refusal text. */
class ClusterOptionsTest {
    @Test
    void theBounceCountsAreFlushedEvery30SecondsUnlessTold() {
        assertThat(ClusterOptions.parse(Map.<String, String>of()::get).bounceCountFlush()).isEqualTo(Duration.ofSeconds(30));
        assertThat(ClusterOptions.parse(Map.of("bounce-count-flush-seconds", " 2 ")::get).bounceCountFlush())
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aFlushPeriodOutOfRangeStopsTheStartWithTheOptionAndTheRange() {
        for (String bad : new String[] {"0", "3601", "soon"}) {
            assertThatThrownBy(() -> ClusterOptions.parse(Map.of("bounce-count-flush-seconds", bad)::get))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("bounce-count-flush-seconds").hasMessageContaining("1 to 3600");
        }
    }
}
