package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/** The JAR an administrator drops into providers/: the engine inside and relocated, nothing Keycloak ships. */
class DropInJarIT {

    static List<String> entries() throws IOException {
        try (JarFile jar = new JarFile(Path.of(System.getProperty("provider.jar")).toFile())) {
            return jar.stream().map(ZipEntry::getName).toList();
        }
    }

    static String entry(String name) throws IOException {
        try (JarFile jar = new JarFile(Path.of(System.getProperty("provider.jar")).toFile())) {
            ZipEntry e = jar.getEntry(name);
            assertThat(e).as(name).isNotNull();
            return new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    @Test
    void bundlesTheEngineRelocatedAndNothingKeycloakShips() throws IOException {
        List<String> entries = entries();
        assertThat(entries).contains(
                "io/github/outboundrelay/keycloak/RelayEmailSenderProviderFactory.class",
                "io/github/outboundrelay/keycloak/internal/common/RelayClient.class");
        assertThat(entries).noneMatch(e -> e.startsWith("io/github/outboundrelay/common/"));
        assertThat(entries).noneMatch(e -> e.contains("/demo/") || e.contains("/cli/"));
        assertThat(entries).noneMatch(e -> e.startsWith("jakarta/") || e.startsWith("org/eclipse/angus/")
                || e.startsWith("com/sun/mail/") || e.startsWith("org/jboss/") || e.startsWith("org/keycloak/")
                || e.startsWith("org/subethamail/") || e.startsWith("org/bouncycastle/") || e.startsWith("org/slf4j/"));
    }

    @Test
    void registersTheThreeProviders() throws IOException {
        assertThat(entry("META-INF/services/org.keycloak.email.EmailSenderProviderFactory"))
                .isEqualTo("io.github.outboundrelay.keycloak.RelayEmailSenderProviderFactory");
        assertThat(entry("META-INF/services/org.keycloak.services.ui.extend.UiTabProviderFactory"))
                .isEqualTo("io.github.outboundrelay.keycloak.OutboundRelayTab");
        assertThat(entry("META-INF/services/org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory"))
                .isEqualTo("io.github.outboundrelay.keycloak.RelayDiagnosticsProvider");
    }

    @Test
    void carriesTheAdminThemeThatAddsTheConsolePage() throws IOException {
        assertThat(entry("META-INF/keycloak-themes.json")).contains("\"outbound-relay\"").contains("\"admin\"");
        String properties = entry("theme/outbound-relay/admin/theme.properties");
        assertThat(properties).contains("parent=keycloak.v2", "scripts=outbound-relay/page.js", "styles=outbound-relay/page.css");
        assertThat(entries()).contains("theme/outbound-relay/admin/resources/outbound-relay/page.js",
                "theme/outbound-relay/admin/resources/outbound-relay/api.js",
                "theme/outbound-relay/admin/resources/outbound-relay/page.css");
    }
}
