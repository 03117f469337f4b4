package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failure table of docs/relay-common.md lists every category with its default and its remedy, word for word. */
class DocsListEveryFailureCategoryTest {
    // Surefire runs in the module directory.
    static final Path DOC = Path.of("../docs/relay-common.md");

    @Test
    void everyCategoryHasARowWithItsDefaultAndRemedy() throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        for (FailureCategory category : FailureCategory.values()) {
            String expected = "| `" + category.name() + "` | "
                    + (category.isTransientByDefault() ? "transient" : "permanent") + " | " + category.remedy() + " |";
            assertThat(lines).as("the row of %s in %s; expected:%n%s", category, DOC, expected)
                    .anyMatch(line -> line.strip().equals(expected));
        }
    }

    @Test
    void troubleshootingHasASectionPerCategory() throws IOException {
        String troubleshooting = Files.readString(Path.of("../docs/troubleshooting.md"));
        for (FailureCategory category : FailureCategory.values()) {
            assertThat(troubleshooting).as("a heading for %s in docs/troubleshooting.md", category)
                    .containsPattern("(?m)^##+ .*`" + category.name() + "`");
        }
    }
}
