package io.github.outboundrelay.common.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The adapters use relay-common only through its API ({@code io.github.outboundrelay.common}) and its storage SPI
 * ({@code common.spool}); everything else is internal and may change without notice. Java cannot say this (no
 * friend access between packages), so this test does: it fails when the main code of keycloak-relay-provider or
 * jenkins-relay-plugin names an internal package. If it fails, move what the adapter needs behind the API (a public
 * type, a method on a value, a factory) instead of widening the rule. Tests of the adapters may use internals.
 */
class AdapterImportsTest {
    /** The reactor's root, seen from relay-common's directory, where Maven runs this test. */
    private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();

    @Test
    void keycloakProviderUsesOnlyTheApi() {
        assertThat(InternalPackageScanner.scanTree(ROOT.resolve("keycloak-relay-provider/src/main/java"))).isEmpty();
    }

    @Test
    void jenkinsPluginUsesOnlyTheApi() {
        assertThat(InternalPackageScanner.scanTree(ROOT.resolve("jenkins-relay-plugin/src/main/java"))).isEmpty();
    }

    @Test
    void theScannerFindsEveryWayToReachAnInternalPackage() {
        String source = """
                package io.github.outboundrelay.keycloak;

                import io.github.outboundrelay.common.MailQueue;
                import io.github.outboundrelay.common.spool.Spool;
                import io.github.outboundrelay.common.json.Json;
                import static io.github.outboundrelay.common.redaction.Redaction.maskAddress;
                import io.github.outboundrelay.common.tls.*;

                final class Uses {
                    // io.github.outboundrelay.common.queue.QueueDispatcher is only named in a comment
                    /** Nor is {@link io.github.outboundrelay.common.transport.RelayConnection} used here. */
                    Object pool = new io.github.outboundrelay.common.transport.ConnectionPool();
                }
                """;
        List<InternalPackageScanner.Violation> found = InternalPackageScanner.scan("Uses.java", source);
        assertThat(found).extracting(InternalPackageScanner.Violation::internalPackage)
                .containsExactly("json", "redaction", "tls", "transport");
        assertThat(found).extracting(InternalPackageScanner.Violation::line).containsExactly(5, 6, 7, 12);
    }

    @Test
    void theApiAndTheStorageSpiAreAllowed() {
        assertThat(InternalPackageScanner.scan("Ok.java", """
                import io.github.outboundrelay.common.RelaySettings;
                import io.github.outboundrelay.common.spool.FileSpool;
                class Ok { io.github.outboundrelay.common.spool.Spool spool; String logger = "io.github.outboundrelay.spool"; }
                """)).isEmpty();
    }

    @Test
    void aMissingSourceDirectoryIsAnErrorNotAPass() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> InternalPackageScanner.scanTree(ROOT.resolve("no-such-module/src")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
