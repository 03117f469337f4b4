package io.github.outboundrelay.common;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Client-credentials tokens for XOAUTH2: fetched on first use, cached, and fetched again before they expire. The
 * token and the client secret never leave this class except to the relay's AUTH command.
 */
final class OAuth2TokenSource {
    /** Refresh this long before expiry, so a token never expires between AUTH and the last message on a connection. */
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(2);

    private final Authentication.OAuth2 settings;
    private final HttpClient http;
    private final Duration timeout;
    private final Clock clock;
    private String token;
    private Instant refreshAt = Instant.MIN;

    OAuth2TokenSource(Authentication.OAuth2 settings, Duration timeout, Clock clock) {
        this.settings = settings;
        this.timeout = timeout;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** A valid access token, from the cache when it is fresh enough. */
    synchronized Secret token() throws DeliveryException {
        Instant now = clock.instant();
        if (token == null || !now.isBefore(refreshAt)) {
            fetch(now);
        }
        return Secret.of(token);
    }

    /** Forgets the cached token, after the relay refused it. */
    synchronized void invalidate() {
        token = null;
    }

    private void fetch(Instant now) throws DeliveryException {
        String form = "grant_type=client_credentials"
                + "&client_id=" + encode(settings.clientId())
                + "&client_secret=" + encode(settings.clientSecret().reveal())
                + (settings.scope().isEmpty() ? "" : "&scope=" + encode(settings.scope()));
        HttpRequest request = HttpRequest.newBuilder(settings.tokenUrl())
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw failure("the token endpoint " + settings.tokenUrl() + " could not be reached: " + FailureClassifier.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while fetching a token", e);
        }
        Map<String, Object> body;
        try {
            body = Json.parseObject(response.body());
        } catch (IllegalArgumentException e) {
            throw failure("the token endpoint answered HTTP " + response.statusCode() + " without a JSON body", null);
        }
        if (response.statusCode() != 200 || !(body.get("access_token") instanceof String accessToken)) {
            // The error fields name the problem (invalid_client, invalid_scope) and never hold the secret.
            throw failure("the token endpoint answered HTTP " + response.statusCode() + " " + body.getOrDefault("error", "")
                    + " " + body.getOrDefault("error_description", ""), null);
        }
        long expiresIn = body.get("expires_in") instanceof Number n ? n.longValue() : 3600;
        token = accessToken;
        Duration lifetime = Duration.ofSeconds(Math.max(0, expiresIn));
        Duration margin = lifetime.compareTo(REFRESH_MARGIN.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : REFRESH_MARGIN;
        refreshAt = now.plus(lifetime).minus(margin);
    }

    private DeliveryException failure(String detail, Throwable cause) {
        return new DeliveryException(FailureCategory.AUTH_TOKEN, true, null, FailureCategory.AUTH_TOKEN.remedy(),
                settings.tokenUrl().getHost(), detail.strip(), cause);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
