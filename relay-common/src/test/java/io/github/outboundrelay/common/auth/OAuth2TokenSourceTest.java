package io.github.outboundrelay.common.auth;

import io.github.outboundrelay.common.InvalidInputException;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.testing.TokenEndpoint;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The client-credentials token cache, and what a slow, huge or malformed token endpoint can and cannot do to the
 * senders that need a token: each attack runs against a real HTTP endpoint on loopback.
 */
class OAuth2TokenSourceTest {
    static final Timeouts ONE_SECOND_EACH = new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        volatile Instant now = Instant.parse("2026-11-28T00:00:00Z");

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

    static OAuth2TokenSource source(TokenEndpoint endpoint, Timeouts timeouts, Clock clock) {
        return new OAuth2TokenSource((Authentication.OAuth2) Authentication.oauth2("u@example.com", endpoint.url(), "id",
                Secret.of("client-secret-7Qx"), ""), timeouts, clock);
    }

    static DeliveryException refused(OAuth2TokenSource source) {
        DeliveryException e = catchThrowableOfType(DeliveryException.class, source::token);
        assertThat(e).as("no token must be issued").isNotNull();
        assertThat(e.category()).isEqualTo(FailureCategory.AUTH_TOKEN);
        assertThat(e.getMessage()).doesNotContain("client-secret-7Qx");
        return e;
    }

    @Test
    void cachesTheTokenAndRefreshesItBeforeExpiry() throws Exception {
        ManualClock clock = new ManualClock();
        try (TokenEndpoint endpoint = new TokenEndpoint("tok", 3600)) {
            OAuth2TokenSource source = source(endpoint, ONE_SECOND_EACH, clock);
            assertThat(source.token().reveal()).isEqualTo("tok");
            clock.now = clock.now.plus(Duration.ofMinutes(50));
            source.token();
            assertThat(endpoint.requests()).as("cached for most of its hour").hasSize(1);
            clock.now = clock.now.plus(Duration.ofMinutes(11)); // 61 min: expired
            source.token();
            assertThat(endpoint.requests()).hasSize(2);
            source.invalidate();
            source.token();
            assertThat(endpoint.requests()).as("a refused token is fetched again").hasSize(3);
        }
    }

    @Test
    void anHttpTokenUrlWhoseNameOnlyLooksLikeLoopbackIsRefused() {
        // 127.evil.example resolves (test-hosts) to 192.0.2.7: "starts with 127." said nothing about where it goes.
        for (String url : List.of("http://127.evil.example/token", "http://127.evil.example:8080/token",
                "http://no-such-name.invalid/token", "http://10.0.0.1/token")) {
            InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> Authentication.oauth2(
                    "u@example.com", URI.create(url), "id", Secret.of("s"), ""));
            assertThat(e).as(url).isNotNull();
            assertThat(e.field()).isEqualTo("authTokenUrl");
            assertThat(e.fix()).contains("loopback");
        }
        for (String url : List.of("http://127.0.0.1:8080/token", "http://localhost/token", "http://[::1]:8080/token",
                "http://127.1.2.3/token", "https://127.evil.example/token")) {
            assertThat(Authentication.oauth2("u@example.com", URI.create(url), "id", Secret.of("s"), "")).as(url).isNotNull();
        }
    }

    @Test
    void aSlowTokenEndpointCostsEachSenderAtMostItsTimeoutAndIsAskedOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TokenEndpoint endpoint = new TokenEndpoint((exchange, n) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            OAuth2TokenSource source = source(endpoint, ONE_SECOND_EACH, Clock.systemUTC());
            ExecutorService senders = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Duration>> waits = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    waits.add(senders.submit(() -> {
                        start.await();
                        long begin = System.nanoTime();
                        DeliveryException e = refused(source);
                        assertThat(e.getMessage()).contains("did not answer within");
                        return Duration.ofNanos(System.nanoTime() - begin);
                    }));
                }
                start.countDown();
                for (Future<Duration> wait : waits) {
                    // Connect plus read timeout is 2 s: a sender queued behind the others would wait 4, 6, 8 s.
                    assertThat(wait.get(20, TimeUnit.SECONDS)).isLessThan(Duration.ofMillis(3500));
                }
                assertThat(endpoint.requests()).as("one fetch shared by every sender").hasSize(1);
            } finally {
                release.countDown();
                senders.shutdownNow();
            }
        }
    }

    @Test
    void whileAValidTokenIsBeingRefreshedSendersKeepUsingItWithoutWaiting() throws Exception {
        ManualClock clock = new ManualClock();
        CountDownLatch release = new CountDownLatch(1);
        try (TokenEndpoint endpoint = new TokenEndpoint((exchange, n) -> {
            if (n > 1) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            TokenEndpoint.grant("tok-" + n, "3600").write(exchange, n);
        })) {
            OAuth2TokenSource source = source(endpoint, new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10),
                    Duration.ofSeconds(5)), clock);
            assertThat(source.token().reveal()).isEqualTo("tok-1");
            clock.now = clock.now.plus(Duration.ofMinutes(59)); // inside the refresh margin, not yet expired
            long begin = System.nanoTime();
            assertThat(source.token().reveal()).isEqualTo("tok-1");
            assertThat(source.token().reveal()).isEqualTo("tok-1");
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(2));
            release.countDown();
            clock.now = clock.now.plus(Duration.ofMinutes(2)); // expired: now a sender waits for the refresh in flight
            assertThat(source.token().reveal()).isEqualTo("tok-2");
            assertThat(endpoint.requests()).as("the refresh in flight, not a new one").hasSize(2);
        }
    }

    @Test
    void anAnswerLargerThan64KiBIsRefusedWithoutReadingIt() throws Exception {
        String huge = "{\"access_token\":\"" + "x".repeat(10 << 20) + "\"}";
        try (TokenEndpoint declared = new TokenEndpoint((exchange, n) -> TokenEndpoint.json(exchange, 200, huge));
             TokenEndpoint chunked = new TokenEndpoint((exchange, n) -> {
                 exchange.sendResponseHeaders(200, 0); // no length: chunked, and it never stops on its own
                 byte[] chunk = "x".repeat(8192).getBytes(StandardCharsets.US_ASCII);
                 for (int i = 0; i < 10_000; i++) {
                     exchange.getResponseBody().write(chunk);
                 }
             })) {
            for (TokenEndpoint endpoint : List.of(declared, chunked)) {
                long begin = System.nanoTime();
                DeliveryException e = refused(source(endpoint, ONE_SECOND_EACH, Clock.systemUTC()));
                assertThat(e.getMessage()).contains("answered with more than 65536 bytes");
                assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(3));
            }
        }
    }

    @Test
    void aDeeplyNestedAnswerIsRefusedInsteadOfOverflowingTheStack() throws Exception {
        String nested = "{\"access_token\":\"t\",\"x\":" + "[".repeat(30_000) + "]".repeat(30_000) + "}";
        try (TokenEndpoint endpoint = new TokenEndpoint((exchange, n) -> TokenEndpoint.json(exchange, 200, nested))) {
            DeliveryException e = refused(source(endpoint, ONE_SECOND_EACH, Clock.systemUTC()));
            assertThat(e.getMessage()).contains("nested deeper than 64 levels");
        }
    }

    @Test
    void expiresInThatIsHugeNegativeOrNotANumberIsBoundedNeverAnOverflow() throws Exception {
        // expires_in as the endpoint writes it -> still cached at, and expired (a sender waits for a new one) at
        record Case(String expiresIn, Duration stillCached, Duration expired) {
        }
        List<Case> cases = List.of(
                new Case("1e30", Duration.ofHours(23), Duration.ofDays(1)),
                new Case("99999999999999999999", Duration.ofHours(23), Duration.ofDays(1)),
                new Case(Long.toString(Long.MAX_VALUE), Duration.ofHours(23), Duration.ofDays(1)),
                new Case("-5", null, Duration.ZERO),
                new Case("\"soon\"", Duration.ofMinutes(50), Duration.ofHours(1)),
                new Case("\"3599\"", Duration.ofMinutes(50), Duration.ofSeconds(3599)),
                new Case("null", Duration.ofMinutes(50), Duration.ofHours(1)));
        for (Case c : cases) {
            ManualClock clock = new ManualClock();
            Instant start = clock.now;
            try (TokenEndpoint endpoint = new TokenEndpoint(TokenEndpoint.grant("tok", c.expiresIn()))) {
                OAuth2TokenSource source = source(endpoint, ONE_SECOND_EACH, clock);
                assertThat(source.token().reveal()).as(c.expiresIn()).isEqualTo("tok");
                if (c.stillCached() != null) {
                    clock.now = start.plus(c.stillCached());
                    source.token();
                    assertThat(endpoint.requests()).as(c.expiresIn() + " cached at " + c.stillCached()).hasSize(1);
                }
                clock.now = start.plus(c.expired());
                source.token();
                assertThat(endpoint.requests()).as(c.expiresIn() + " fetched again at " + c.expired()).hasSize(2);
            }
        }
    }

    @Test
    void lifetimeIsBoundedForEveryShapeOfExpiresIn() {
        assertThat(OAuth2TokenSource.lifetime(3600L)).isEqualTo(Duration.ofHours(1));
        assertThat(OAuth2TokenSource.lifetime(1.5)).isEqualTo(Duration.ofMillis(1500));
        assertThat(OAuth2TokenSource.lifetime(Double.POSITIVE_INFINITY)).isEqualTo(OAuth2TokenSource.MAX_LIFETIME);
        assertThat(OAuth2TokenSource.lifetime(Double.NaN)).isEqualTo(OAuth2TokenSource.DEFAULT_LIFETIME);
        assertThat(OAuth2TokenSource.lifetime(Long.MIN_VALUE)).isEqualTo(Duration.ZERO);
        assertThat(OAuth2TokenSource.lifetime(" 3599 ")).isEqualTo(Duration.ofSeconds(3599));
        assertThat(OAuth2TokenSource.lifetime(List.of())).isEqualTo(OAuth2TokenSource.DEFAULT_LIFETIME);
        assertThat(OAuth2TokenSource.lifetime(null)).isEqualTo(OAuth2TokenSource.DEFAULT_LIFETIME);
    }
}
