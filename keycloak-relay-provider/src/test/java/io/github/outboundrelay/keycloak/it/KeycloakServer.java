package io.github.outboundrelay.keycloak.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Keycloak distribution the build unpacked into {@code target/}, with the provider JAR in {@code providers/},
 * a fresh {@code data/}, free loopback ports and its output in {@code target/keycloak-it/keycloak.log}. Started once
 * for the whole suite by {@link RealKeycloak}; stopped by PID.
 */
final class KeycloakServer implements AutoCloseable {
    static final String ADMIN_USER = "admin";

    private final Path home;
    private final Path log;
    private final List<String> options;
    private final String adminPassword;
    private final int httpPort;
    private final int managementPort;
    private Process process;
    private Duration lastStartup;

    private KeycloakServer(Path home, Path log, List<String> options, String adminPassword) throws IOException {
        this.home = home;
        this.log = log;
        this.options = List.copyOf(options);
        this.adminPassword = adminPassword;
        this.httpPort = freePort();
        this.managementPort = freePort();
    }

    /**
     * Installs the provider JAR into a fresh copy's {@code providers/}, wipes {@code data/} and starts Keycloak.
     *
     * @param options extra server options, such as {@code --spi-email-sender--relay--trust-bundle=...}
     */
    static KeycloakServer start(Path home, Path providerJar, Path workDir, List<String> options, String adminPassword)
            throws IOException, InterruptedException {
        home = home.toAbsolutePath();
        workDir = workDir.toAbsolutePath();
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("No Keycloak at " + home + ": run through Maven (mvn verify), which unpacks it");
        }
        if (!Files.isRegularFile(providerJar)) {
            throw new IllegalStateException("No provider JAR at " + providerJar + ": mvn verify builds it first");
        }
        Files.createDirectories(workDir);
        Files.copy(providerJar, home.resolve("providers").resolve("keycloak-relay-provider.jar"), StandardCopyOption.REPLACE_EXISTING);
        deleteTree(home.resolve("data"));
        Path log = workDir.resolve("keycloak.log");
        Files.deleteIfExists(log);
        KeycloakServer server = new KeycloakServer(home, log, options, adminPassword);
        server.startProcess();
        return server;
    }

    /** Stops Keycloak and starts it again on the same ports and data: what survives a restart survives this. */
    void restart() throws IOException, InterruptedException {
        stopProcess();
        startProcess();
    }

    private void startProcess() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + httpPort,
                "--http-management-port=" + managementPort, "--health-enabled=true"));
        command.addAll(options);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USER);
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        // Avoids an outbound DNS lookup this closed network refuses (docs/architecture.md).
        builder.environment().put("JAVA_OPTS_APPEND", "-Dliquibase.analytics.enabled=false");
        long start = System.nanoTime();
        process = builder.start();
        // Ready in 15-35 s on a quiet machine; the first start augments Quarkus (1-2 min), and a loaded build host
        // can take several times that. Only a failure waits this long.
        awaitReady(Duration.ofMinutes(10));
        lastStartup = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("Keycloak ready on http://127.0.0.1:%d after %d ms (log: %s)%n", httpPort, lastStartup.toMillis(), log);
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        KeycloakProcesses.awaitReady(process, http, URI.create("http://127.0.0.1:" + managementPort + "/health/ready"),
                timeout, log, "Keycloak");
    }

    URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    /** The management interface: {@code /health}, and {@code /metrics} when started with --metrics-enabled=true. */
    URI managementUri() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    String adminPassword() {
        return adminPassword;
    }

    Duration lastStartup() {
        return lastStartup;
    }

    /** Keycloak's {@code data/} directory, where the file queue spools under {@code outbound-relay/spool}. */
    Path dataDirectory() {
        return home.resolve("data");
    }

    Path logFile() {
        return log;
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    String logTail(int lines) {
        return KeycloakProcesses.tail(log, lines);
    }

    @Override
    public void close() {
        stopProcess();
    }

    /** SIGTERM to kc.sh, which forwards it to the JVM; then, if it lingers, SIGKILL to it and its children. */
    private void stopProcess() {
        KeycloakProcesses.stop(process);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
