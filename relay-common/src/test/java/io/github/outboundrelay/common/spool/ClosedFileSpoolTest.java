package io.github.outboundrelay.common.spool;

import static io.github.outboundrelay.common.SpoolTestSupport.everyFile;
import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static io.github.outboundrelay.common.SpoolTestSupport.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** After close the directory may belong to the next queue's spool: the closed one changes nothing in it. */
class ClosedFileSpoolTest {
    static final Instant T0 = Instant.parse("2025-03-01T08:00:00Z");

    @TempDir
    Path dir;

    @Test
    void aClosedSpoolRefusesEveryChangeNamingItselfAndLeavesEveryFileAsItWas() throws IOException {
        FileSpool spool = FileSpool.open(dir);
        spool.recover(Spool.QuarantineListener.NONE);
        String inFlight = spool.store(mail(1), T0); // alone in its batch: completing it would delete the batch
        String waiting = spool.store(mail(2), T0.plusSeconds(60));
        String dead = spool.store(mail(3), T0);
        assertThat(spool.claimDue(T0, 10)).extracting(Spool.Entry::id).containsExactlyInAnyOrder(inFlight, dead);
        spool.deadLetter(dead, refused(dead, mail(3), T0, T0));
        Map<Path, String> before = contents(dir);
        assertThat(before.keySet()).anyMatch(p -> p.toString().startsWith("queue/"))
                .anyMatch(p -> p.toString().equals("dead/" + dead + ".msg"));

        spool.close();

        Map<String, ThrowingCallable> changes = new LinkedHashMap<>();
        changes.put("store", () -> spool.store(mail(4), T0));
        changes.put("complete (marks done, deletes the batch)", () -> spool.complete(inFlight));
        changes.put("defer", () -> spool.defer(inFlight, 1, T0.plusSeconds(30), "TIMEOUT at relay:587"));
        changes.put("dead-letter", () -> spool.deadLetter(inFlight, refused(inFlight, mail(1), T0, T0)));
        changes.put("claim", () -> spool.claimDue(T0.plusSeconds(120), 10));
        changes.put("list dead letters (quarantines unreadable ones)", () -> spool.deadLetters(10));
        changes.put("requeue a dead letter", () -> spool.requeueDeadLetter(dead, T0));
        changes.put("purge a dead letter", () -> spool.purgeDeadLetter(dead));
        changes.put("delete old bodies", () -> spool.deleteBodies(T0.plusSeconds(86_400 * 365)));
        changes.put("recover", () -> spool.recover(Spool.QuarantineListener.NONE));
        changes.forEach((change, call) -> assertThatThrownBy(call).as(change)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the spool " + dir.toAbsolutePath())
                .hasMessageContaining("closed"));

        assertThat(contents(dir)).as("every file after the refused changes").isEqualTo(before);
        spool.close(); // a second close changes nothing either
        assertThat(contents(dir)).isEqualTo(before);
        try (FileSpool next = FileSpool.open(dir)) {
            assertThat(next.recover(Spool.QuarantineListener.NONE)).as("the in-flight and the waiting mail").isEqualTo(2);
            assertThat(next.claimDue(T0.plusSeconds(60), 10)).extracting(Spool.Entry::id).containsExactlyInAnyOrder(inFlight, waiting);
        }
    }

    /** Every file under {@code root} (relative path) with its bytes. */
    static Map<Path, String> contents(Path root) throws IOException {
        Map<Path, String> files = new LinkedHashMap<>();
        for (Path p : everyFile(root)) {
            files.put(root.relativize(p), Arrays.toString(Files.readAllBytes(p)));
        }
        return files;
    }
}
