package io.github.outboundrelay.keycloak.it;

import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keycloak as a production deployment runs it: {@code kc.sh build} with the provider's build-time options, then
 * {@code kc.sh start --optimized} on PostgreSQL ({@link PostgresServer}), HTTPS only with a certificate made at test
 * time for {@code localhost}, a fixed {@code --hostname}, the management port (health, metrics) on HTTPS as well.
 * The tests reach it through {@link #http()}, which trusts that certificate and verifies the host name.
 */
final class ProductionKeycloak implements AutoCloseable {
    /**
     * What {@code kc.sh build} bakes in: the database vendor, the management endpoints, and the provider's build-time
     * options as docs/keycloak.md gives them (the active email sender, the declarative UI for the Outbound relay tab).
     */
    static final List<String> BUILD_OPTIONS = List.of("--db=postgres", "--health-enabled=true", "--metrics-enabled=true",
            "--spi-email-sender--provider=relay", "--features=declarative-ui");

    private final Path home;
    private final Path log;
    private final int httpsPort;
    private final int managementPort;
    private final String adminPassword = "admin-" + UUID.randomUUID();
    private final HttpClient http;
    private PostgresServer postgres;
    private Process process;
    private Duration buildTime;
    private Duration startTime;

    private ProductionKeycloak(Path home, SelfSignedCertificate certificate) throws IOException {
        this.home = home;
        this.log = home.resolveSibling("keycloak-production.log");
        this.httpsPort = PostgresServer.freePort();
        this.managementPort = PostgresServer.freePort();
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trusting(certificate)).build();
    }

    /**
     * Starts PostgreSQL, builds a copy of the distribution with the provider and starts it optimized.
     *
     * @param runtimeOptions the provider's runtime options, such as its trust bundle
     */
    static ProductionKeycloak start(Path distribution, Path providerJar, Path workDir, SelfSignedCertificate certificate,
                                    List<String> runtimeOptions) throws Exception {
        Files.createDirectories(workDir);
        ProductionKeycloak server = new ProductionKeycloak(workDir.resolve("keycloak"), certificate);
        try {
            server.postgres = PostgresServer.start();
            long build = System.nanoTime();
            KeycloakNode.build(distribution, providerJar, server.home, BUILD_OPTIONS);
            server.buildTime = Duration.ofNanos(System.nanoTime() - build);
            Path keyStore = workDir.resolve("keycloak-https.p12");
            String keyStorePassword = UUID.randomUUID().toString();
            certificate.writePkcs12(keyStore, keyStorePassword);
            List<String> options = new ArrayList<>(List.of(
                    "--hostname=" + server.baseUri(), "--http-host=127.0.0.1", "--https-port=" + server.httpsPort,
                    "--http-management-port=" + server.managementPort,
                    "--https-key-store-file=" + keyStore, "--https-key-store-password=" + keyStorePassword,
                    "--db-url=" + server.postgres.jdbcUrl(), "--db-username=" + PostgresServer.USER,
                    "--db-password=unused-trust-auth"));
            options.addAll(runtimeOptions);
            server.startProcess(options);
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    private void startProcess(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/kc.sh").toString(), "start", "--optimized"));
        command.addAll(options);
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", KeycloakServer.ADMIN_USER);
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        builder.environment().put("JAVA_OPTS_APPEND", "-Dliquibase.analytics.enabled=false");
        long start = System.nanoTime();
        process = builder.start();
        awaitReady(Duration.ofMinutes(8)); // a Keycloak augmenting on a busy 2-core machine has taken over 4
        startTime = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("Keycloak (build %d ms, start --optimized %d ms) ready on %s (log %s)%n",
                buildTime.toMillis(), startTime.toMillis(), baseUri(), log);
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        KeycloakProcesses.awaitReady(process, http, managementUri().resolve("/health/ready"), timeout, log, "Keycloak");
    }

    /** The public URL, as {@code --hostname} gives it: the name the certificate is for. */
    URI baseUri() {
        return URI.create("https://localhost:" + httpsPort);
    }

    URI managementUri() {
        return URI.create("https://localhost:" + managementPort);
    }

    /** A client that trusts the test-time certificate and checks the host name against it. */
    HttpClient http() {
        return http;
    }

    AdminApi admin() {
        return new AdminApi(baseUri(), "master", KeycloakServer.ADMIN_USER, adminPassword, http);
    }

    Duration buildTime() {
        return buildTime;
    }

    Duration startTime() {
        return startTime;
    }

    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    String logTail(int lines) {
        return KeycloakProcesses.tail(log, lines);
    }

    @Override
    public void close() {
        KeycloakProcesses.stop(process);
        if (postgres != null) {
            postgres.close();
        }
    }

    private static SSLContext trusting(SelfSignedCertificate certificate) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("keycloak", certificate.certificate());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot trust the test certificate", e);
        }
    }
}
