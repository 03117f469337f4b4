package io.github.outboundrelay.common.auth;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.failure.FailureClassifier;
import io.github.outboundrelay.common.json.Json;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.Timeouts;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Client-credentials tokens for XOAUTH2: fetched on first use, cached, and fetched again before they expire. The
 * token and the client secret never leave this class except to the relay's AUTH command.
 *
 * <p>One fetch at a time, shared by every sender that needs it, and no lock held while it runs: a sender waits for
 * it at most the connect plus read timeout, and while a still-valid token is being refreshed, senders keep using it.
 * The fetch itself is cut off after the same time, and its answer is read up to {@link #MAX_RESPONSE_BYTES}: a
 * slow, endless or hostile token endpoint costs a sender its timeout, never more, and never the memory.
 */
public final class OAuth2TokenSource {
    /** Refresh this long before expiry, so a token never expires between AUTH and the last message on a connection. */
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(2);
    /** Real token responses are a few KiB; anything larger is refused unread. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024;
    /** The lifetime assumed when {@code expires_in} is missing or not a number (RFC 6749 makes it optional). */
    static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
    /** {@code expires_in} is believed up to this; larger values (or ones that overflow) mean this. */
    static final Duration MAX_LIFETIME = Duration.ofDays(1);

    private record Token(String value, Instant refreshAt, Instant expiresAt) {
    }

    private final Authentication.OAuth2 settings;
    private final HttpClient http;
    private final Timeouts timeouts;
    private final Duration deadline;
    private final Clock clock;
    private final Object lock = new Object();
    private Token current;                       // guarded by lock
    private CompletableFuture<Token> refreshing; // guarded by lock: the one fetch in flight, or null

    /** @param timeouts the relay's: connect bounds reaching the endpoint, read its answer; together, any wait */
    public OAuth2TokenSource(Authentication.OAuth2 settings, Timeouts timeouts, Clock clock) {
        this.settings = settings;
        this.timeouts = timeouts;
        this.deadline = timeouts.connect().plus(timeouts.read());
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(timeouts.connect()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** A valid access token: the cached one while it is fresh, else the one being fetched, waited for at most the deadline. */
    public Secret token() throws DeliveryException {
        Instant now = clock.instant();
        CompletableFuture<Token> fetch;
        synchronized (lock) {
            if (current != null && now.isBefore(current.refreshAt())) {
                return Secret.of(current.value());
            }
            fetch = refreshing != null ? refreshing : startFetch(now);
            if (current != null && now.isBefore(current.expiresAt())) {
                return Secret.of(current.value()); // Still valid: the refresh goes on without this sender.
            }
        }
        return Secret.of(await(fetch).value());
    }

    /** Forgets the cached token, after the relay refused it. */
    public void invalidate() {
        synchronized (lock) {
            current = null;
        }
    }

    /** Called with the lock held; the fetch's own completion takes the lock again, never while waiting on it. */
    private CompletableFuture<Token> startFetch(Instant now) {
        CompletableFuture<HttpResponse<String>> exchange;
        try {
            checkPlainHttpStillLoopback();
            exchange = http.sendAsync(request(), info -> LimitedBody.of(info, MAX_RESPONSE_BYTES));
        } catch (DeliveryException e) {
            return CompletableFuture.failedFuture(e);
        }
        // Past the deadline the exchange is aborted, so a dripping answer does not hold a connection for ever.
        CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS).execute(() -> exchange.cancel(true));
        CompletableFuture<Token> fetch = exchange.thenApply(response -> {
            try {
                return tokenOf(response, now);
            } catch (DeliveryException e) {
                throw new CompletionException(e);
            }
        });
        refreshing = fetch;
        fetch.whenComplete((token, failure) -> {
            synchronized (lock) {
                if (token != null) {
                    current = token;
                }
                if (refreshing == fetch) {
                    refreshing = null;
                }
            }
        });
        return fetch;
    }

    private HttpRequest request() {
        String form = "grant_type=client_credentials"
                + "&client_id=" + encode(settings.clientId())
                + "&client_secret=" + encode(settings.clientSecret().reveal())
                + (settings.scope().isEmpty() ? "" : "&scope=" + encode(settings.scope()));
        return HttpRequest.newBuilder(settings.tokenUrl())
                .timeout(timeouts.read())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
    }

    /**
     * Plain http was allowed because the host resolved to loopback when the settings were made; names can resolve
     * differently later. The JDK caches the answer it gives here, so the request below connects to the same place.
     */
    private void checkPlainHttpStillLoopback() throws DeliveryException {
        if ("http".equalsIgnoreCase(settings.tokenUrl().getScheme()) && !Authentication.OAuth2.resolvesToLoopback(settings.tokenUrl().getHost())) {
            throw failure("the token URL " + settings.tokenUrl() + " no longer resolves to a loopback address; "
                    + "the client secret is not sent over plain http", null);
        }
    }

    private Token await(CompletableFuture<Token> fetch) throws DeliveryException {
        try {
            return fetch.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw failure("the token endpoint " + settings.tokenUrl() + " did not answer within " + deadline.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while fetching a token", e);
        } catch (ExecutionException e) {
            throw failureOf(e.getCause());
        }
    }

    private DeliveryException failureOf(Throwable cause) {
        Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof DeliveryException e) {
            return e;
        }
        if (FailureClassifier.has(c, LimitedBody.TooLargeException.class)) {
            return failure("the token endpoint " + settings.tokenUrl() + " answered with more than " + MAX_RESPONSE_BYTES
                    + " bytes; the answer was not read", c);
        }
        if (FailureClassifier.has(c, HttpConnectTimeoutException.class)) {
            return failure("the token endpoint " + settings.tokenUrl() + " could not be reached within "
                    + timeouts.connect().toMillis() + " ms", c);
        }
        if (FailureClassifier.has(c, HttpTimeoutException.class)) {
            return failure("the token endpoint " + settings.tokenUrl() + " did not answer within "
                    + timeouts.read().toMillis() + " ms", c);
        }
        if (c instanceof CancellationException) {
            return failure("the token endpoint " + settings.tokenUrl() + " did not finish its answer within "
                    + deadline.toMillis() + " ms", c);
        }
        return failure("the token endpoint " + settings.tokenUrl() + " could not be reached: " + FailureClassifier.describe(c), c);
    }

    private Token tokenOf(HttpResponse<String> response, Instant now) throws DeliveryException {
        Map<String, Object> body;
        try {
            body = Json.parseObject(response.body());
        } catch (IllegalArgumentException e) {
            throw failure("the token endpoint answered HTTP " + response.statusCode() + " without a JSON body (" + e.getMessage() + ")", null);
        }
        if (response.statusCode() != 200 || !(body.get("access_token") instanceof String accessToken)) {
            // The error fields name the problem (invalid_client, invalid_scope) and never hold the secret.
            throw failure("the token endpoint answered HTTP " + response.statusCode() + " " + shortText(body.get("error"))
                    + " " + shortText(body.get("error_description")), null);
        }
        Duration lifetime = lifetime(body.get("expires_in"));
        Duration margin = lifetime.compareTo(REFRESH_MARGIN.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : REFRESH_MARGIN;
        return new Token(accessToken, now.plus(lifetime).minus(margin), now.plus(lifetime));
    }

    /**
     * {@code expires_in} bounded: a number or numeric string (some identity providers send "3599") up to
     * {@link #MAX_LIFETIME}; zero or less is a token that is already stale, fetched again for the next connection;
     * anything else means {@link #DEFAULT_LIFETIME}. Never an overflow.
     */
    static Duration lifetime(Object expiresIn) {
        double seconds;
        if (expiresIn instanceof Number n) {
            seconds = n.doubleValue();
        } else if (expiresIn instanceof String s) {
            try {
                seconds = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return DEFAULT_LIFETIME;
            }
        } else {
            return DEFAULT_LIFETIME;
        }
        if (Double.isNaN(seconds)) {
            return DEFAULT_LIFETIME;
        }
        if (seconds <= 0) {
            return Duration.ZERO;
        }
        if (seconds >= MAX_LIFETIME.toSeconds()) {
            return MAX_LIFETIME;
        }
        return Duration.ofMillis((long) (seconds * 1000));
    }

    private static String shortText(Object value) {
        String text = value == null ? "" : value.toString();
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private DeliveryException failure(String detail, Throwable cause) {
        return new DeliveryException(FailureCategory.AUTH_TOKEN, true, null, FailureCategory.AUTH_TOKEN.remedy(),
                settings.tokenUrl().getHost(), detail.strip(), cause);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
