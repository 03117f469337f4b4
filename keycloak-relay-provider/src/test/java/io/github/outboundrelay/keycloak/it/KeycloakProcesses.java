package io.github.outboundrelay.keycloak.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping a Keycloak started through {@code kc.sh} and reading its log: the one way every IT fixture does it. */
final class KeycloakProcesses {
    private KeycloakProcesses() {
    }

    /** SIGTERM to kc.sh, which forwards it to the JVM; then, if it lingers, SIGKILL to it and its children. */
    static void stop(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                children.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            for (ProcessHandle child : children) {
                child.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** The last {@code lines} lines of a Keycloak's log, for a failure message. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Returns once {@code ready} (the management port's {@code /health/ready}) answers 200. Throws with the log's tail
     * when the process exits first, or, after stopping it, when {@code timeout} passes.
     */
    static void awaitReady(Process process, HttpClient http, URI ready, Duration timeout, Path log, String name)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready:\n"
                        + tail(log, 60));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            process.waitFor(500, TimeUnit.MILLISECONDS);
        }
        stop(process);
        throw new IllegalStateException(name + " not ready within " + timeout + ":\n" + tail(log, 60));
    }
}
