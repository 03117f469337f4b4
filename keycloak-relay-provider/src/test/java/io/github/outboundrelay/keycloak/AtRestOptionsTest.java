package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.InvalidInputException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AtRestOptionsTest {

    @Test
    void deadLetterBodiesAreKeptADayUnlessTheOptionSaysOtherwise() {
        assertThat(AtRestOptions.parse(key -> null, realm -> BodyCipher.NONE).deadLetterBodyRetention())
                .isEqualTo(Duration.ofHours(24));
        assertThat(AtRestOptions.parse(Map.of("dead-letter-body-retention-hours", "2")::get, realm -> BodyCipher.NONE)
                .deadLetterBodyRetention()).isEqualTo(Duration.ofHours(2));
        assertThat(AtRestOptions.parse(Map.of("dead-letter-body-retention-hours", "0")::get, realm -> BodyCipher.NONE)
                .deadLetterBodyRetention()).isZero();
    }

    @Test
    void aRetentionThatIsNotZeroToAMonthStopsStartupNamingTheOption() {
        for (String bad : new String[] {"-1", "721", "a day"}) {
            assertThatThrownBy(() -> AtRestOptions.parse(Map.of("dead-letter-body-retention-hours", bad)::get, realm -> BodyCipher.NONE))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("--spi-email-sender--relay--dead-letter-body-retention-hours: is '" + bad + "'")
                    .hasMessageContaining("from 0 to 720");
        }
    }
}
