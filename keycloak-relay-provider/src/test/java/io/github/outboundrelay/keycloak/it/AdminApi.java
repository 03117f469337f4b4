package io.github.outboundrelay.keycloak.it;

import io.github.outboundrelay.common.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Keycloak's real admin REST API, as a test drives it: a bearer token from a password grant, JSON in and out.
 * Tokens are fetched again before they expire (60 s in the master realm).
 */
final class AdminApi {
    /** A response: status and body. */
    record Reply(int status, String body) {
        Map<String, Object> json() {
            return Json.parseObject(body);
        }

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> jsonArray() {
            return (List<Map<String, Object>>) Json.parseObject("{\"a\":" + body + "}").get("a");
        }
    }

    private final HttpClient http;
    private final URI base;
    private final String realm;
    private final String user;
    private final String password;
    private String token;
    private long tokenFetchedAt;

    /** Logs in as {@code user} of {@code realm} through its {@code admin-cli} client. */
    AdminApi(URI base, String realm, String user, String password) {
        this(base, realm, user, password, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    /** @param http a client that trusts the server's certificate, for a Keycloak on HTTPS */
    AdminApi(URI base, String realm, String user, String password, HttpClient http) {
        this.http = http;
        this.base = base;
        this.realm = realm;
        this.user = user;
        this.password = password;
    }

    /** Without a token: what an anonymous caller gets. */
    static AdminApi anonymous(URI base) {
        return new AdminApi(base, null, null, null);
    }

    URI base() {
        return base;
    }

    Reply get(String path) {
        return send(request(path).GET());
    }

    Reply post(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : Json.write(body))));
    }

    Reply put(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(Json.write(body))));
    }

    Reply delete(String path) {
        return send(request(path).DELETE());
    }

    /** Creates a realm with this Email tab; returns its name. */
    String createRealm(String name, Map<String, String> smtpServer) {
        expect(201, post("/admin/realms", Map.of("realm", name, "enabled", true, "smtpServer", smtpServer)));
        return name;
    }

    void setSmtpServer(String realmName, Map<String, String> smtpServer) {
        expect(204, put("/admin/realms/" + realmName, Map.of("smtpServer", smtpServer)));
    }

    /** Creates a user with an unverified email (none if null) and a password; returns its id. */
    String createUser(String realmName, String username, String email, String userPassword) {
        Map<String, Object> user = new java.util.HashMap<>(Map.of(
                "username", username, "enabled", true, "emailVerified", false,
                "firstName", username, "lastName", "Tester",
                "credentials", List.of(Map.of("type", "password", "value", userPassword, "temporary", false))));
        if (email != null) {
            user.put("email", email);
        }
        expect(201, post("/admin/realms/" + realmName + "/users", user));
        return userId(realmName, username);
    }

    /** Gives a user of the realm one of its realm-management roles, such as manage-realm or view-realm. */
    void grantRealmManagementRole(String realmName, String username, String role) {
        String clients = "/admin/realms/" + realmName + "/clients";
        String clientId = (String) expect(200, get(clients + "?clientId=realm-management")).jsonArray().get(0).get("id");
        Map<String, Object> roleRep = expect(200, get(clients + "/" + clientId + "/roles/" + role)).json();
        expect(204, post("/admin/realms/" + realmName + "/users/" + userId(realmName, username)
                + "/role-mappings/clients/" + clientId, List.of(roleRep)));
    }

    /**
     * Saves the realm's Outbound relay tab as the console's Save does: creates the component the first time, updates
     * it after. Values are strings, as the console sends them.
     */
    void saveOutboundRelayTab(String realmName, Map<String, String> values) {
        String components = "/admin/realms/" + realmName + "/components";
        Map<String, Object> tab = outboundRelayTab(realmName, values);
        List<Map<String, Object>> existing = expect(200, get(components + "?type=org.keycloak.services.ui.extend.UiTabProvider"))
                .jsonArray().stream().filter(c -> "Outbound relay".equals(c.get("providerId"))).toList();
        if (existing.isEmpty()) {
            expect(201, createOutboundRelayTab(realmName, values));
        } else {
            tab.put("id", existing.get(0).get("id"));
            expect(204, put(components + "/" + existing.get(0).get("id"), tab));
        }
    }

    /** The console's first Save of the Outbound relay tab; the reply, for a test that expects a refusal. */
    Reply createOutboundRelayTab(String realmName, Map<String, String> values) {
        return post("/admin/realms/" + realmName + "/components", outboundRelayTab(realmName, values));
    }

    private Map<String, Object> outboundRelayTab(String realmName, Map<String, String> values) {
        String realmId = (String) expect(200, get("/admin/realms/" + realmName)).json().get("id");
        Map<String, Object> config = new java.util.HashMap<>();
        values.forEach((k, v) -> config.put(k, List.of(v)));
        return new java.util.HashMap<>(Map.of("name", "Outbound relay", "providerId", "Outbound relay",
                "providerType", "org.keycloak.services.ui.extend.UiTabProvider", "parentId", realmId, "config", config));
    }

    String userId(String realmName, String username) {
        Reply reply = expect(200, get("/admin/realms/" + realmName + "/users?exact=true&username=" + encode(username)));
        return (String) reply.jsonArray().get(0).get("id");
    }

    static Reply expect(int status, Reply reply) {
        if (reply.status() != status) {
            throw new AssertionError("expected HTTP " + status + ", got " + reply.status() + ": " + reply.body());
        }
        return reply;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        if (user != null) {
            builder.header("Authorization", "Bearer " + token());
        }
        return builder;
    }

    private Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private synchronized String token() {
        if (token == null || System.nanoTime() - tokenFetchedAt > Duration.ofSeconds(30).toNanos()) {
            String form = "grant_type=password&client_id=admin-cli&username=" + encode(user) + "&password=" + encode(password);
            Reply reply = send(HttpRequest.newBuilder(base.resolve("/realms/" + realm + "/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)));
            expect(200, reply);
            token = (String) reply.json().get("access_token");
            tokenFetchedAt = System.nanoTime();
        }
        return token;
    }
}
