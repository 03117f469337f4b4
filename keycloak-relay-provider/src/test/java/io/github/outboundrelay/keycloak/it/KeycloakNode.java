package io.github.outboundrelay.keycloak.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One node of a real Keycloak cluster in production mode ({@code kc.sh start --optimized}): its own copy of the
 * distribution (its own {@code data/}, transaction log and temp files), Keycloak's database on PostgreSQL, and
 * embedded Infinispan clustered over JGroups TCP bound to 127.0.0.1, finding the other nodes through the database
 * ({@code jdbc-ping}, Keycloak 26's default stack). Build once with {@link #build}, copy with {@link #copyOf}.
 */
final class KeycloakNode implements AutoCloseable {
    private final String name;
    private final Path home;
    private final Path log;
    private final List<String> options;
    private final int httpPort;
    private final int managementPort;
    private final int jgroupsPort;
    private Process process;
    private Duration lastStartup;

    private KeycloakNode(String name, Path home, List<String> options) throws IOException {
        this.name = name;
        this.home = home;
        this.log = home.resolveSibling(name + ".log");
        this.options = List.copyOf(options);
        this.httpPort = PostgresServer.freePort();
        this.managementPort = PostgresServer.freePort();
        this.jgroupsPort = jgroupsPort();
    }

    /**
     * Copies the unpacked distribution to {@code home} (without {@code data/}), installs the provider JAR and runs
     * {@code kc.sh build} with the build-time options every node shares.
     */
    static void build(Path distribution, Path providerJar, Path home, List<String> buildOptions) throws IOException, InterruptedException {
        copyTree(distribution, home);
        Files.copy(providerJar, home.resolve("providers/keycloak-relay-provider.jar"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.COPY_ATTRIBUTES);
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "build"));
        command.addAll(buildOptions);
        Path buildLog = home.resolveSibling(home.getFileName() + "-build.log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(buildLog.toFile());
        builder.environment().put("JAVA_OPTS_APPEND", "-Dliquibase.analytics.enabled=false");
        Process p = builder.start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("kc.sh build failed:\n" + Files.readString(buildLog));
        }
    }

    /** A node in a built distribution. */
    static KeycloakNode at(Path built, String name, List<String> options) throws IOException {
        return new KeycloakNode(name, built, options);
    }

    /** A node in its own copy of a built distribution; timestamps are kept, so Keycloak sees no need to rebuild. */
    static KeycloakNode copyOf(Path built, String name, List<String> options) throws IOException {
        Path home = built.resolveSibling(name);
        copyTree(built, home);
        return new KeycloakNode(name, home, options);
    }

    void start(String adminPassword) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "start", "--optimized",
                "--http-enabled=true", "--http-host=127.0.0.1", "--http-port=" + httpPort,
                "--http-management-port=" + managementPort, "--hostname-strict=false",
                "--cache-embedded-network-bind-address=127.0.0.1", "--cache-embedded-network-bind-port=" + jgroupsPort,
                "--spi-cache-embedded--default--node-name=" + name));
        command.addAll(options);
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", KeycloakServer.ADMIN_USER);
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        builder.environment().put("JAVA_OPTS_APPEND", "-Dliquibase.analytics.enabled=false");
        long start = System.nanoTime();
        process = builder.start();
        // Ready in 15-35 s on a quiet machine; the first start augments Quarkus (1-2 min), and a loaded build host
        // can take several times that. Only a failure waits this long.
        awaitReady(Duration.ofMinutes(10));
        lastStartup = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("Keycloak %s ready on http://127.0.0.1:%d after %d ms (JGroups 127.0.0.1:%d, log %s)%n", name,
                httpPort, lastStartup.toMillis(), jgroupsPort, log);
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        KeycloakProcesses.awaitReady(process, http, URI.create("http://127.0.0.1:" + managementPort + "/health/ready"),
                timeout, log, "Keycloak " + name);
    }

    String name() {
        return name;
    }

    URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    Duration lastStartup() {
        return lastStartup;
    }

    /** The PIDs of kc.sh and the JVM it started: the JVM's is the one in the node's lease owner name. */
    Set<Long> pids() {
        Set<Long> pids = process.descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
        pids.add(process.pid());
        return pids;
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    String logTail(int lines) {
        return KeycloakProcesses.tail(log, lines);
    }

    /** SIGKILL to the JVM and kc.sh at once: the node dies mid-sentence, as a pod does when its node fails. */
    void kill() throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        for (ProcessHandle p : all) {
            p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        }
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, which kc.sh forwards to the JVM; SIGKILL if it lingers. */
    @Override
    public void close() {
        KeycloakProcesses.stop(process);
    }

    /**
     * A free port for JGroups TCP whose FD_SOCK2 companion (the port + 50000, Keycloak's stack) is free too: so below
     * 15536.
     */
    private static int jgroupsPort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(10_000, 15_500);
            if (free(port) && free(port + 50_000)) {
                return port;
            }
        }
        throw new IOException("no free port pair for JGroups between 10000 and 15500");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Copies a distribution, keeping timestamps; {@code data/} is each node's own and is not copied. */
    private static void copyTree(Path from, Path to) throws IOException {
        PostgresServer.deleteTree(to);
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path relative = from.relativize(dir);
                if (relative.toString().equals("data")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(relative));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file)), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
