package io.github.outboundrelay.keycloak.it;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Keycloak's login pages as a browser without JavaScript uses them: the "Forgot password?" flow. */
final class LoginPages {
    private static final Pattern FORM_ACTION = Pattern.compile("<form[^>]*action=\"([^\"]+)\"");

    private LoginPages() {
    }

    /** The answer to "Forgot password?": the HTTP status, the page, and how long Keycloak took. */
    record Answer(int status, String page, Duration took) {
    }

    /**
     * Opens the realm's reset-credentials page (as its "Forgot password?" link does) and submits {@code username}.
     * The realm must allow password resets.
     */
    static Answer forgotPassword(URI base, String realm, String username) throws IOException, InterruptedException {
        return forgotPassword(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), base, realm, username);
    }

    /** @param browser a client that trusts the server's certificate, for a Keycloak on HTTPS */
    static Answer forgotPassword(HttpClient browser, URI base, String realm, String username) throws IOException, InterruptedException {
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(
                base.resolve("/realms/" + realm + "/login-actions/reset-credentials?client_id=account-console")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher action = FORM_ACTION.matcher(page.body());
        if (page.statusCode() != 200 || !action.find()) {
            throw new AssertionError("no reset-password form (HTTP " + page.statusCode() + "):\n" + page.body());
        }
        URI submit = URI.create(action.group(1).replace("&amp;", "&"));
        // Keycloak marks its session cookies Secure; browsers send them to 127.0.0.1 anyway (a secure context),
        // java.net's CookieManager does not, so they are carried by hand.
        String cookies = page.headers().allValues("Set-Cookie").stream()
                .map(c -> c.substring(0, c.indexOf(';') < 0 ? c.length() : c.indexOf(';')))
                .collect(java.util.stream.Collectors.joining("; "));
        long start = System.nanoTime();
        HttpResponse<String> answer = browser.send(HttpRequest.newBuilder(submit)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", cookies)
                .POST(HttpRequest.BodyPublishers.ofString("username=" + URLEncoder.encode(username, StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(answer.statusCode(), answer.body(), Duration.ofNanos(System.nanoTime() - start));
    }
}
