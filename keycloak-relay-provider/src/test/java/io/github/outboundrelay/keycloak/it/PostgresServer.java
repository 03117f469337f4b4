package io.github.outboundrelay.keycloak.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL from Debian's {@code postgresql} package, in a data directory of its own on a free loopback port,
 * for the cluster tests: {@code initdb} with trust authentication for a superuser {@value #USER}, a database
 * {@value #DATABASE}, {@code fsync} off (the tests kill Keycloak nodes, never the database). PostgreSQL refuses to
 * run as root, so as root it runs as the package's {@code postgres} user. Stopped by the postmaster's PID. Public for
 * the database spool's own test (DatabaseSpoolIT), which needs no Keycloak.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String USER = "keycloak";
    static final String DATABASE = "keycloak";

    private final Path dir;
    private final Path data;
    private final Path log;
    private final int port;
    private final Process process;

    private PostgresServer(Path dir, int port, Process process) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.log = dir.resolve("postgres.log");
        this.port = port;
        this.process = process;
    }

    /** Creates and starts a fresh cluster; {@code .ci/run} installs the package when it is missing. */
    public static PostgresServer start() throws IOException, InterruptedException {
        Path bin = binDirectory();
        Path dir = Files.createTempDirectory("outbound-relay-postgres-");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), dir.resolve("chown.log"));
        }
        Path data = dir.resolve("data");
        run(asPostgres(root, bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust", "-E", "UTF8",
                "--no-sync"), dir.resolve("initdb.log"));
        int port = freePort();
        Process process = new ProcessBuilder(asPostgres(root, bin.resolve("postgres").toString(), "-D", data.toString(),
                "-p", Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=300"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()))
                .start();
        PostgresServer server = new PostgresServer(dir, port, process);
        server.awaitReady(Duration.ofSeconds(60));
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("postgres"), USER, "")) {
            c.createStatement().execute("CREATE DATABASE " + DATABASE);
        } catch (SQLException e) {
            server.close();
            throw new IllegalStateException("cannot create the database: " + e, e);
        }
        return server;
    }

    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    private String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), USER, "");
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Connection ignored = DriverManager.getConnection(jdbcUrl("postgres"), USER, "")) {
                return;
            } catch (SQLException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("PostgreSQL did not start: " + notYet + "\n" + logTail());
                }
                Thread.sleep(200);
            }
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGINT to the postmaster, by the PID in its postmaster.pid: PostgreSQL's "fast" shutdown. */
    @Override
    public void close() {
        try {
            Path pidFile = data.resolve("postmaster.pid");
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
                run(List.of("kill", "-INT", Long.toString(pid)), dir.resolve("kill.log"));
                ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            deleteTree(dir);
        } catch (Exception e) {
            System.err.println("PostgreSQL in " + dir + " did not stop cleanly: " + e);
        }
    }

    /** The newest PostgreSQL under Debian's /usr/lib/postgresql, or where pg_config says. */
    private static Path binDirectory() throws IOException {
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Path newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
                        .max(Comparator.comparingInt(v -> parseVersion(v.getFileName().toString()))).orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            }
        }
        throw new IllegalStateException("No PostgreSQL server under /usr/lib/postgresql: install Debian's postgresql "
                + "package (apt-get install -y postgresql), as .ci/run does");
    }

    private static int parseVersion(String name) {
        try {
            return Integer.parseInt(name.replaceAll("[^0-9].*", ""));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> asPostgres(boolean root, String... command) {
        List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        return full;
    }

    private static void run(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static void deleteTree(Path dir) throws IOException {
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
