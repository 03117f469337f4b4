package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.ThrottleBudget;
import java.nio.file.Path;

/**
 * Mail waits in files under the spool directory, one directory per realm ({@link RealmSpools}), and each node throttles on its own: right
 * for a single Keycloak whose data directory persists (and for dev-file). Directories are private to Keycloak's user
 * (0700) and bodies are sealed with the realm's AES key ({@link AtRestOptions}).
 */
record FileQueueStore(Path spoolDir, AtRestOptions atRest) implements QueueStore {
    @Override
    public Spool openSpool(String realmId) {
        return FileSpool.open(RealmSpools.directory(spoolDir, realmId), atRest.cipher(realmId));
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

    /** Nothing: {@link RealmRelays#remove} deletes the realm's spool directory with its relay. */
    @Override
    public void forget(String realmId) {
    }

    @Override
    public void close() {
    }
}
