package io.github.outboundrelay.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Date, machine and versions, for the report: figures mean nothing without them. */
final class Environment {
    private final String date = SideBySideBenchmark.now();
    private final Map<String, String> facts = new LinkedHashMap<>();

    private Environment() {
    }

    static Environment describe() {
        Environment e = new Environment();
        e.put("machine", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + memTotal() + ", Linux " + System.getProperty("os.version"));
        e.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        e.put("mail", jarOf("org.eclipse.angus.mail.smtp.SMTPTransport") + ", " + jarOf("jakarta.mail.Session"));
        e.put("debian packages", packages());
        e.put("fsync", fsyncLatency());
        return e;
    }

    void put(String key, String value) {
        facts.put(key, value);
    }

    String date() {
        return date;
    }

    Map<String, String> facts() {
        return facts;
    }

    String summary() {
        return facts.entrySet().stream().map(f -> f.getKey() + ": " + f.getValue()).collect(Collectors.joining("\n"));
    }

    /** The 1, 5 and 15 minute load averages: other engineers' builds share these cores. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /** What durable submit waits for: a 2 KiB append and FileChannel.force(true), 200 times, where the spools go. */
    static String fsyncLatency() {
        try {
            Path file = Files.createTempFile("relay-bench-fsync", ".bin");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                long[] nanos = new long[200];
                java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(2048);
                for (int i = 0; i < nanos.length; i++) {
                    data.rewind();
                    ch.write(data);
                    long t0 = System.nanoTime();
                    ch.force(true);
                    nanos[i] = System.nanoTime() - t0;
                }
                return String.format(java.util.Locale.ROOT, "2 KiB append + force(true) in %s: p50 %.2f ms, p99 %.2f ms (200 times)",
                        file.getParent(), Measurement.percentileMillis(nanos, nanos.length, 0.5),
                        Measurement.percentileMillis(nanos, nanos.length, 0.99));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            return "? (" + e + ")";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024 + " GiB RAM").findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String jarOf(String className) {
        try {
            String path = Class.forName(className).getProtectionDomain().getCodeSource().getLocation().getPath();
            return path.substring(path.lastIndexOf('/') + 1);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "?";
        }
    }

    private static String packages() {
        try {
            Process p = new ProcessBuilder(List.of("dpkg-query", "-W", "-f", "${Package} ${Version}, ", "postfix", "stunnel4", "libssl3"))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.replaceAll(",\\s*$", "").trim();
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
