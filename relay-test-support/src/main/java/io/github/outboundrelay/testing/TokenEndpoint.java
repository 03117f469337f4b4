package io.github.outboundrelay.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OAuth2 token endpoint on a free loopback port that keeps every request it gets: by default it issues a fixed
 * token for the client-credentials grant (the identity provider a relay's settings name, or one an attacker points
 * them at to collect a client secret); the attack tests give it an {@link Answer} of their own (slow, huge, deeply
 * nested, odd {@code expires_in}).
 */
public final class TokenEndpoint implements AutoCloseable {
    /** What the endpoint does with request number {@code n} (1 for the first), after recording it. */
    public interface Answer {
        void write(HttpExchange exchange, int n) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    public TokenEndpoint(String token, long expiresIn) throws IOException {
        this(grant(token, Long.toString(expiresIn)));
    }

    public TokenEndpoint(Answer answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads); // A slow answer must not hold up the next request.
        server.createContext("/", exchange -> {
            StringBuilder request = new StringBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI() + "\n");
            exchange.getRequestHeaders().forEach((name, values) -> request.append(name).append(": ")
                    .append(String.join(", ", values)).append('\n'));
            request.append('\n').append(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request.toString());
            try {
                answer.write(exchange, requests.size());
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** A successful grant whose {@code expires_in} is written as given: {@code 3600}, {@code "3599"}, {@code 1e30}. */
    public static Answer grant(String token, String expiresInJson) {
        return (exchange, n) -> json(exchange, 200,
                "{\"token_type\":\"Bearer\",\"expires_in\":" + expiresInJson + ",\"access_token\":\"" + token + "\"}");
    }

    public static void json(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** The token URL, {@code http://127.0.0.1:PORT/token}: plain HTTP is allowed on loopback only. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** Every request received, in order: request line, headers, a blank line and the form body. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
