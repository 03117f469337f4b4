package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.FileSpool;
import io.github.outboundrelay.common.Spool;
import io.github.outboundrelay.common.ThrottleBudget;
import java.nio.file.Path;

/**
 * Mail waits in files under the spool directory, one directory per realm, and each node throttles on its own: right
 * for a single Keycloak whose data directory persists (and for dev-file).
 */
record FileQueueStore(Path spoolDir) implements QueueStore {
    @Override
    public Spool openSpool(String realmId) {
        return FileSpool.open(spoolDir.resolve(realmId));
    }

    @Override
    public ThrottleBudget.Source throttleBudgets(String realmId) {
        return ThrottleBudget.Source.LOCAL;
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public String describe() {
        return "files under " + spoolDir;
    }

    @Override
    public void close() {
    }
}
