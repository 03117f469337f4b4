package io.github.outboundrelay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Postfix's smtp-sink on a free loopback port, and stunnel in front of it for implicit TLS. Both are child processes of
 * this JVM: {@link #close()} stops exactly those (by their own handles, i.e. by PID), and a shutdown hook does the same
 * if the benchmark is interrupted. Nothing else on the machine is touched.
 */
final class ExternalSinks implements AutoCloseable {
    static final Path SMTP_SINK = Path.of("/usr/sbin/smtp-sink");
    static final Path SMTP_SOURCE = Path.of("/usr/sbin/smtp-source");
    private static final int START_ATTEMPTS = 3;
    private static final Duration READY_WITHIN = Duration.ofSeconds(10);

    private final List<Process> started = new ArrayList<>();
    private final Thread hook = new Thread(this::stopAll, "bench-sinks-stop");
    private int smtpSinkPort;
    private int stunnelPort;
    private String stunnelVersion = "?";

    private ExternalSinks() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts smtp-sink, then stunnel (cert.pem and key.pem in {@code workDir}) forwarding to it. */
    static ExternalSinks start(Path workDir) throws IOException, InterruptedException {
        ExternalSinks sinks = new ExternalSinks();
        try {
            sinks.startSmtpSink(workDir);
            sinks.startStunnel(workDir);
            return sinks;
        } catch (IOException | InterruptedException | RuntimeException e) {
            sinks.close();
            throw e;
        }
    }

    int smtpSinkPort() {
        return smtpSinkPort;
    }

    int stunnelPort() {
        return stunnelPort;
    }

    String stunnelVersion() {
        return stunnelVersion;
    }

    private void startSmtpSink(Path workDir) throws IOException, InterruptedException {
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(SMTP_SINK.toString()));
            if ("root".equals(System.getProperty("user.name"))) {
                command.addAll(List.of("-u", "nobody")); // smtp-sink refuses to keep root privileges
            }
            // -m: up to 1,024 concurrent sessions; the backlog argument sizes the listen queue.
            command.addAll(List.of("-m", "1024", "127.0.0.1:" + port, "1024"));
            Process p = launch(command, workDir.resolve("smtp-sink.log"));
            if (awaitGreeting(p, port)) {
                smtpSinkPort = port;
                return;
            }
            stop(p); // the port was taken between our probe and smtp-sink's bind: try another
        }
        throw new IOException("smtp-sink did not start; see " + workDir.resolve("smtp-sink.log"));
    }

    private void startStunnel(Path workDir) throws IOException, InterruptedException {
        String binary = Files.isExecutable(Path.of("/usr/bin/stunnel4")) ? "/usr/bin/stunnel4" : "/usr/bin/stunnel";
        stunnelVersion = firstLine(new ProcessBuilder(binary, "-version").redirectErrorStream(true).start(), "stunnel");
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = freePort();
            Path config = workDir.resolve("stunnel.conf");
            Files.writeString(config, String.join("\n",
                    "foreground = yes",
                    "pid =",
                    "syslog = no",
                    "debug = 4",
                    "[smtps]",
                    "accept = 127.0.0.1:" + port,
                    "connect = 127.0.0.1:" + smtpSinkPort,
                    "cert = " + workDir.resolve("cert.pem"),
                    "key = " + workDir.resolve("key.pem"),
                    ""));
            Process p = launch(List.of(binary, config.toString()), workDir.resolve("stunnel.log"));
            if (awaitListening(p, port)) {
                stunnelPort = port;
                return;
            }
            stop(p);
        }
        throw new IOException("stunnel did not start; see " + workDir.resolve("stunnel.log"));
    }

    private Process launch(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    /** A port nobody listens on now. Another program may take it before the sink binds: callers retry. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean awaitGreeting(Process p, int port) throws InterruptedException {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                s.setSoTimeout(2000);
                byte[] greeting = s.getInputStream().readNBytes(4);
                if (new String(greeting, StandardCharsets.US_ASCII).startsWith("220")) {
                    s.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                    return true;
                }
            } catch (IOException e) {
                Thread.sleep(50); // not listening yet
            }
        }
        return false;
    }

    private static boolean awaitListening(Process p, int port) throws InterruptedException {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return p.isAlive();
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    static String firstLine(Process p, String containing) throws IOException, InterruptedException {
        try (InputStream in = p.getInputStream()) {
            String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("?").trim();
        } finally {
            p.destroyForcibly();
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void stopAll() {
        List<Process> copy;
        synchronized (started) {
            copy = new ArrayList<>(started);
            started.clear();
        }
        // Reverse order: stunnel before the sink behind it.
        for (int i = copy.size() - 1; i >= 0; i--) {
            stop(copy.get(i));
        }
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs (and finds nothing left to stop).
        }
    }
}
