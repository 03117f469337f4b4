package io.github.outboundrelay.common;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Postfix's {@code smtp-sink} (a real SMTP server that offers PIPELINING, as the benchmark's sink does) as a child
 * process on a free loopback port, dumping each mail it accepted into a file of its own so that a test can count
 * what arrived. Stopped by its own process handle at {@link #close}.
 */
final class SmtpSinkProcess implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/smtp-sink");
    private static final int START_ATTEMPTS = 5;

    private final Process process;
    private final int port;
    private final Path dumps;

    private SmtpSinkProcess(Process process, int port, Path dumps) {
        this.process = process;
        this.port = port;
        this.dumps = dumps;
    }

    /**
     * Starts a sink that dumps into a directory of its own under the temporary directory, which the user smtp-sink
     * drops to ({@code nobody} when run as root) can write (a JUnit temporary directory is private to its owner);
     * {@link #close} deletes it.
     */
    static SmtpSinkProcess start() throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install postfix (the benchmark needs it too)");
        }
        Path dumps = Files.createTempDirectory("smtp-sink-dumps");
        dumps.toFile().setWritable(true, false);
        dumps.toFile().setExecutable(true, false);
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(BINARY.toString()));
            if ("root".equals(System.getProperty("user.name"))) {
                command.addAll(List.of("-u", "nobody")); // smtp-sink refuses to keep root privileges
            }
            command.addAll(List.of("-d", dumps + "/%H%M%S.", "127.0.0.1:" + port, "16"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (greets(p, port)) {
                return new SmtpSinkProcess(p, port, dumps);
            }
            p.destroy(); // the port was taken between the probe and smtp-sink's bind: another one
            p.waitFor(5, TimeUnit.SECONDS);
        }
        throw new IOException("smtp-sink did not start");
    }

    /** Whether the sink answers with a greeting within five seconds (polled every 20 ms, bounded). */
    private static boolean greets(Process p, int port) throws InterruptedException {
        for (int i = 0; i < 250 && p.isAlive(); i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(5_000);
                byte[] greeting = new byte[3];
                return s.getInputStream().readNBytes(greeting, 0, 3) == 3
                        && new String(greeting, StandardCharsets.US_ASCII).equals("220");
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        return false;
    }

    int port() {
        return port;
    }

    /** The Message-ID of every mail the sink accepted so far, one per mail (a mail sent twice appears twice). */
    List<String> messageIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> files = Files.list(dumps)) {
            for (Path file : files.sorted().toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    if (line.regionMatches(true, 0, "Message-ID:", 0, 11)) {
                        ids.add(line.substring(11).trim());
                        break;
                    }
                }
            }
        }
        return ids;
    }

    /** Waits until at least {@code count} mails were dumped (bounded by {@code seconds}); returns their Message-IDs. */
    List<String> awaitMessages(int count, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<String> ids = messageIds();
        while (ids.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20); // a child process's files: nothing to wait on but the directory
            ids = messageIds();
        }
        return ids;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (Stream<Path> files = Files.list(dumps)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dumps);
        } catch (IOException e) {
            // A temporary directory left behind: nothing the test could do about it.
        }
    }
}
