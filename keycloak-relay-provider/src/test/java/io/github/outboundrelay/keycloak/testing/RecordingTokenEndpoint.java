package io.github.outboundrelay.keycloak.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An OAuth2 token endpoint on a free loopback port that keeps every request it gets, headers and form body, and
 * answers the client-credentials grant with a fixed token: the identity provider a realm saved, or one an attacker
 * points a realm at to collect its client secret.
 */
public final class RecordingTokenEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private RecordingTokenEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            StringBuilder request = new StringBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI() + "\n");
            exchange.getRequestHeaders().forEach((name, values) -> request.append(name).append(": ")
                    .append(String.join(", ", values)).append('\n'));
            request.append('\n').append(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request.toString());
            byte[] body = "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"issued-token\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    public static RecordingTokenEndpoint start() throws IOException {
        return new RecordingTokenEndpoint();
    }

    /** The token URL, {@code http://127.0.0.1:PORT/token}: plain HTTP is allowed on loopback only. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** Every request received, in order: request line, headers, a blank line and the body. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
