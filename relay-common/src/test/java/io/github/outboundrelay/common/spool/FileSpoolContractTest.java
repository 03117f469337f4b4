package io.github.outboundrelay.common.spool;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract on files: {@link FileSpool} in a directory of its own. */
class FileSpoolContractTest extends SpoolContract {
    @TempDir
    Path directory;

    @Override
    protected Spool openSpool() {
        return FileSpool.open(directory);
    }
}
