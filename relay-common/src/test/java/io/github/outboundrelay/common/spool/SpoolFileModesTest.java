package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.SpoolTestSupport;

import static io.github.outboundrelay.common.SpoolTestSupport.everyFile;
import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail bodies carry reset links: no other local user may read the spool. What an attacker with a shell account
 * would try (list and read the files) meets a 0700 directory and 0600 files, whatever the umask.
 */
class SpoolFileModesTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");

    @TempDir
    Path temp;
    Path dir;

    @BeforeEach
    void posixOnly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(temp.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "the file system has POSIX permissions");
        dir = temp.resolve("outbound-relay").resolve("spool");
    }

    @Test
    void everyDirectoryIsOwnerOnlyAndEveryFileTheSpoolWritesIsReadableByItsOwnerOnly() throws Exception {
        Map<String, String> tempFileModes = new ConcurrentHashMap<>();
        FileSpool.EntryWriter recording = (file, bytes) -> {
            FileSpool.EntryWriter.FORCED.write(file, bytes);
            tempFileModes.put(file.getFileName().toString(), mode(file)); // before its rename into place
        };
        String damaged;
        try (FileSpool earlier = FileSpool.open(dir, 100, FileSpool.DEFAULT_MAX_BYTES, recording)) {
            earlier.recover(Spool.QuarantineListener.NONE);
            damaged = earlier.store(mail(4), T0); // stored by an earlier run: its claim reads it back
        }
        try (FileSpool spool = FileSpool.open(dir, 100, FileSpool.DEFAULT_MAX_BYTES, recording)) {
            spool.recover(Spool.QuarantineListener.NONE);
            String delivered = spool.store(mail(1), T0);
            OutboundMessage refused = mail(2);
            String dead = spool.store(refused, T0);
            String retried = spool.store(mail(3), T0);
            FileSpoolTest.damage(spool.locate(damaged), -3);

            spool.claimDue(T0, 10); // the damaged one is quarantined, with a reason file
            spool.complete(delivered);
            spool.deadLetter(dead, SpoolTestSupport.refused(dead, refused, T0, T0.plusSeconds(1)));
            spool.defer(retried, 1, T0.plusSeconds(60), "451 at relay:587");

            Map<String, String> modes = modes(dir);
            assertThat(modes).containsKeys("spool.lock", "dead/" + dead + ".msg", "quarantine/" + damaged + ".msg",
                    "quarantine/" + damaged + ".msg.reason.txt");
            assertThat(modes.keySet()).anyMatch(f -> f.startsWith("queue/") && f.endsWith(".batch"));
            assertThat(modes).allSatisfy((file, mode) ->
                    assertThat(mode).as(file).isEqualTo(Files.isDirectory(dir.resolve(file)) ? "rwx------" : "rw-------"));

            spool.claimDue(T0.plusSeconds(60), 10);
            spool.complete(retried); // the segment's last mail: it is retired, kept as a spare in tmp/
            Map<String, String> retired = modes(dir);
            assertThat(retired.keySet()).anyMatch(f -> f.startsWith("tmp/spare-"));
            assertThat(retired).allSatisfy((file, mode) ->
                    assertThat(mode).as(file).isEqualTo(Files.isDirectory(dir.resolve(file)) ? "rwx------" : "rw-------"));
            assertThat(tempFileModes).as("temporary files, as they were written").isNotEmpty()
                    .containsKey(dead + ".msg.tmp").allSatisfy((file, mode) -> assertThat(mode).as(file).isEqualTo("rw-------"));
            assertThat(mode(dir.getParent())).as("a parent the spool created").isEqualTo("rwx------");
        }
    }

    @Test
    void aSpoolLeftReadableByOthersIsMadePrivateAtOpenAndTheLogSaysSo() throws Exception {
        try (FileSpool spool = FileSpool.open(dir)) {
            spool.recover(Spool.QuarantineListener.NONE);
            spool.store(mail(1), T0);
        }
        try (Stream<Path> all = Files.walk(dir)) { // what an older version left with the default umask
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        List<String> logged = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger("io.github.outboundrelay.spool");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record.getLevel() + " " + record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try (FileSpool spool = FileSpool.open(dir)) {
            assertThat(spool.recover(Spool.QuarantineListener.NONE)).as("the mail is still there").isEqualTo(1);
        } finally {
            logger.removeHandler(capture);
        }

        assertThat(modes(dir)).allSatisfy((file, mode) ->
                assertThat(mode).as(file).isEqualTo(Files.isDirectory(dir.resolve(file)) ? "rwx------" : "rw-------"));
        assertThat(logged).anyMatch(line -> line.startsWith("WARNING Spool " + dir + " was readable by other local users (")
                && line.contains("rwxr-xr-x") && line.contains("it is now private"));
    }

    /** Mode of the spool root and of everything in it, by path relative to the root ("" for the root). */
    static Map<String, String> modes(Path root) throws IOException {
        Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                modes.put(root.relativize(p).toString(), mode(p));
            }
        }
        assertThat(everyFile(root)).isNotEmpty();
        return modes;
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
