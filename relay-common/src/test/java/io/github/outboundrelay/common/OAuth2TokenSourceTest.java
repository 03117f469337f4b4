package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class OAuth2TokenSourceTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-11-28T00:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void cachesTheTokenAndRefreshesItBeforeExpiry() throws Exception {
        ManualClock clock = new ManualClock();
        try (TokenEndpoint endpoint = new TokenEndpoint("tok", 3600)) {
            OAuth2TokenSource source = new OAuth2TokenSource((Authentication.OAuth2) Authentication.oauth2("u@example.com",
                    endpoint.url(), "id", Secret.of("s"), ""), Duration.ofSeconds(5), clock);
            assertThat(source.token().reveal()).isEqualTo("tok");
            clock.now = clock.now.plus(Duration.ofMinutes(50));
            source.token();
            assertThat(endpoint.requests()).as("cached for most of its hour").hasSize(1);
            clock.now = clock.now.plus(Duration.ofMinutes(9)); // 59 min: inside the 2-minute refresh margin
            source.token();
            assertThat(endpoint.requests()).hasSize(2);
            source.invalidate();
            source.token();
            assertThat(endpoint.requests()).as("a refused token is fetched again").hasSize(3);
        }
    }
}
