package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.BounceKind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSuppressionListTest {
    @TempDir
    Path dir;

    static Suppression hard(String address) {
        return new Suppression(address, true, BounceKind.HARD, "5.1.1", "550 5.1.1 user unknown\tand a tab",
                0, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(2000));
    }

    @Test
    void entriesSurviveAReopenAndAreFoundInAnyCase() throws IOException {
        Path lists = dir.resolve("suppressions");
        FileSuppressionList list = FileSuppressionList.open(lists);
        list.put(hard("Bob@Example.org"));
        list.put(new Suppression("soft@example.org", false, BounceKind.SOFT, "4.2.2", "full", 1,
                Instant.ofEpochMilli(1000), Instant.ofEpochMilli(3000)));

        FileSuppressionList reopened = FileSuppressionList.open(lists);

        assertThat(reopened.get("BOB@example.ORG")).hasValue(new Suppression("bob@example.org", true, BounceKind.HARD,
                "5.1.1", "550 5.1.1 user unknown and a tab", 0, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(2000)));
        assertThat(reopened.isSuppressed("bob@example.org")).isTrue();
        assertThat(reopened.isSuppressed("soft@example.org")).isFalse();
        assertThat(reopened.suppressedCount()).isEqualTo(1);
        assertThat(reopened.search("EXAMPLE", 10)).extracting(Suppression::address).containsExactly("bob@example.org", "soft@example.org");
        assertThat(reopened.search("bob", 10)).hasSize(1);
        assertThat(reopened.search("", 1)).hasSize(1);

        assertThat(reopened.remove("bob@example.org")).isTrue();
        assertThat(reopened.remove("bob@example.org")).isFalse();
        assertThat(FileSuppressionList.open(lists).get("bob@example.org")).isEmpty();
    }

    @Test
    void theDirectoryAndFileAreTheOwnersOnly() throws IOException {
        Path lists = dir.resolve("suppressions");
        FileSuppressionList.open(lists).put(hard("bob@example.org"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lists))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lists.resolve(FileSuppressionList.FILE))))
                .isEqualTo("rw-------");
        assertThat(lists.resolve(FileSuppressionList.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void aFailedWriteLeavesTheAddressOffTheListSoTheReportIsAppliedAgain() throws IOException {
        Path lists = dir.resolve("suppressions");
        FileSuppressionList list = FileSuppressionList.open(lists);
        Files.createDirectory(lists.resolve(FileSuppressionList.FILE + ".tmp")); // the temporary file cannot be made
        Files.writeString(lists.resolve(FileSuppressionList.FILE + ".tmp").resolve("blocker"), "x");
        assertThatThrownBy(() -> list.put(hard("bob@example.org"))).isInstanceOf(IOException.class);
        assertThat(list.get("bob@example.org")).isEmpty();
    }

    @Test
    void aFileThatIsNotAListIsRefusedNotOverwritten() throws IOException {
        Path lists = Files.createDirectories(dir.resolve("suppressions"));
        Files.writeString(lists.resolve(FileSuppressionList.FILE), "something else\n");
        assertThatThrownBy(() -> FileSuppressionList.open(lists)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot open the suppression list");
        assertThat(Files.readString(lists.resolve(FileSuppressionList.FILE))).isEqualTo("something else\n");
    }
}
