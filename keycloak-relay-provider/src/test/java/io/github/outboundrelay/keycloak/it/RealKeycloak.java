package io.github.outboundrelay.keycloak.it;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real Keycloak and one STARTTLS + AUTH relay for the whole integration-test run: the first test class that
 * asks for {@link Suite} starts them, JUnit closes them when the run ends. Keycloak starts take 15-35 s; a suite
 * that started one per class would not fit the build's budget.
 */
final class RealKeycloak implements ParameterResolver {

    /** What every integration test shares. */
    static final class Suite implements AutoCloseable {
        final SelfSignedCertificate certificate;
        final EmbeddedRelay relay;
        final String relayUser = "keycloak-relay";
        final String relayPassword = "relay-" + UUID.randomUUID();
        final KeycloakServer keycloak;
        final AdminApi admin;
        final Path workDir;

        private Suite() throws Exception {
            workDir = Path.of(property("screenshots.dir")).getParent().resolve("keycloak-it");
            Files.createDirectories(workDir);
            certificate = SelfSignedCertificate.forLoopback();
            relay = EmbeddedRelay.start(certificate.serverContext(), relayUser, relayPassword);
            Path bundle = workDir.resolve("relay-ca.pem");
            Files.writeString(bundle, certificate.pem());
            keycloak = KeycloakServer.start(Path.of(property("keycloak.home")), Path.of(property("provider.jar")), workDir,
                    List.of("--spi-email-sender--provider=relay",
                            "--spi-email-sender--relay--trust-bundle=" + bundle,
                            // Fallback relays and probes named "localhost" may get a realm's credentials; 127.0.0.1
                            // may not. The browser test saves smtp-backup.example.com as a realm's fallback.
                            "--spi-email-sender--relay--credential-hosts=localhost,smtp-backup.example.com",
                            "--features=declarative-ui",
                            // The queue's meters on the management port's /metrics (MetricsIT).
                            "--metrics-enabled=true",
                            // A realm's bounce counts reach the database only after a mailbox poll and when its
                            // handling closes (a settings save, Keycloak's shutdown), never on the period during a
                            // run: BounceCountsAtShutdownIT sees what the shutdown wrote. A node's own rates include
                            // its unwritten counts, so no other test sees a difference.
                            "--spi-email-sender--relay--bounce-count-flush-seconds=3600"),
                    "admin-" + UUID.randomUUID());
            admin = new AdminApi(keycloak.baseUri(), "master", KeycloakServer.ADMIN_USER, keycloak.adminPassword());
            // The console's "Test connection" mails the calling admin, who needs an address.
            String adminId = admin.userId("master", KeycloakServer.ADMIN_USER);
            AdminApi.expect(204, admin.put("/admin/realms/master/users/" + adminId,
                    Map.of("email", "admin@example.com", "firstName", "Ada", "lastName", "Admin")));
        }

        /** The Email tab for the shared relay: STARTTLS, AUTH, From and Reply-To with display names. */
        Map<String, String> emailTab() {
            return emailTab(relay.port());
        }

        Map<String, String> emailTab(int port) {
            Map<String, String> smtp = EmailTabs.startTlsWithPassword("127.0.0.1", port, relayUser, relayPassword);
            smtp.put("fromDisplayName", "Example SSO");
            smtp.put("replyTo", "helpdesk@example.com");
            smtp.put("replyToDisplayName", "Help Desk");
            smtp.put("connectionTimeout", "5000");
            smtp.put("timeout", "10000");
            smtp.put("writeTimeout", "10000");
            return smtp;
        }

        /** A new realm using the shared relay, with a unique name. */
        String newRealm(String prefix) {
            return admin.createRealm(prefix + "-" + UUID.randomUUID().toString().substring(0, 8), emailTab());
        }

        @Override
        public void close() throws Exception {
            System.out.printf("Keycloak last started in %d ms%n", keycloak.lastStartup() == null ? -1 : keycloak.lastStartup().toMillis());
            keycloak.close();
            relay.close();
        }

        private static String property(String name) {
            String value = System.getProperty(name);
            if (value == null) {
                throw new IllegalStateException("System property " + name + " is not set: run the integration tests with mvn verify");
            }
            return value;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Suite.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // A failed start is remembered too: the next class fails at once instead of starting Keycloak again.
        Started started = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Started.class, key -> Started.attempt(), Started.class);
        if (started.failure != null) {
            throw new IllegalStateException("could not start Keycloak for the integration tests", started.failure);
        }
        return started.suite;
    }

    /** The suite, or why it could not start. JUnit closes it (AutoCloseable in the root store) when the run ends. */
    private record Started(Suite suite, Exception failure) implements AutoCloseable {
        static Started attempt() {
            try {
                return new Started(new Suite(), null);
            } catch (Exception e) {
                return new Started(null, e);
            }
        }

        @Override
        public void close() throws Exception {
            if (suite != null) {
                suite.close();
            }
        }
    }
}
