package io.github.outboundrelay.keycloak.it;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping a Keycloak started through {@code kc.sh}: the one way every IT fixture does it. */
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
}
