package io.github.outboundrelay.keycloak.it;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * "Try it" for Keycloak (keycloak-relay-provider/try-it.sh): a real Keycloak 26.7.3 with the provider, a relay on
 * loopback that requires STARTTLS and AUTH, a "Forgot password?" on the login page, then the mail as the relay
 * received it and the probe report from the diagnostics resource. Needs nothing but Java and Maven Central.
 */
public final class TryKeycloak {
    private TryKeycloak() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(System.getProperty("try.dir", "keycloak-relay-provider/target/try-keycloak")).toAbsolutePath();
        Files.createDirectories(work);
        SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
        String relayPassword = "relay-" + UUID.randomUUID();
        try (EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), "keycloak", relayPassword)) {
            say("Relay on 127.0.0.1:%d: STARTTLS required, AUTH required (user keycloak), self-signed certificate", relay.port());
            Path bundle = work.resolve("relay-ca.pem");
            Files.writeString(bundle, certificate.pem());

            say("Starting Keycloak with the provider (the first start rebuilds Keycloak: about a minute)...");
            String adminPassword = "admin-" + UUID.randomUUID().toString().substring(0, 8);
            try (KeycloakServer keycloak = KeycloakServer.start(Path.of(System.getProperty("keycloak.home")),
                    Path.of(System.getProperty("provider.jar")), work,
                    List.of("--spi-email-sender--provider=relay", "--spi-email-sender--relay--trust-bundle=" + bundle,
                            "--features=declarative-ui"), adminPassword)) {
                say("Keycloak ready at %s after %d s", keycloak.baseUri(), keycloak.lastStartup().toSeconds());
                AdminApi admin = new AdminApi(keycloak.baseUri(), "master", KeycloakServer.ADMIN_USER, adminPassword);
                String realm = "try-relay";
                admin.createRealm(realm, Map.of("host", "127.0.0.1", "port", Integer.toString(relay.port()),
                        "starttls", "true", "auth", "true", "user", "keycloak", "password", relayPassword,
                        "from", "sso@example.com", "fromDisplayName", "Example SSO", "replyTo", "helpdesk@example.com"));
                AdminApi.expect(204, admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
                admin.createUser(realm, "alice", "alice@example.org", "Alice-pw-1");
                say("Realm %s: Email tab pointing at the relay; user alice <alice@example.org>", realm);

                LoginPages.Answer answer = LoginPages.forgotPassword(keycloak.baseUri(), realm, "alice");
                say("\"Forgot password?\" for alice: Keycloak answered HTTP %d in %d ms (the mail is queued, not awaited)",
                        answer.status(), answer.took().toMillis());

                EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(1, Duration.ofSeconds(30)).get(0);
                ReceivedMessage message = ReceivedMessage.parse(mail.envelopeFrom(), mail.recipients(), mail.data());
                say("%nThe relay received (envelope %s -> %s):", mail.envelopeFrom(), mail.recipients());
                say("  From:     %s", message.from());
                say("  Reply-To: %s", message.replyTo());
                say("  Subject:  %s", message.subject());
                say("  Text part:");
                message.text().lines().forEach(line -> say("    %s", line));

                AdminApi.Reply probe = AdminApi.expect(200, admin.post("/admin/realms/" + realm + "/outbound-relay/probe", null));
                say("%nProbe report (POST %s/admin/realms/%s/outbound-relay/probe):", keycloak.baseUri(), realm);
                printProbe(probe.json());

                say("%nKeycloak's log: %s", keycloak.logFile().toAbsolutePath());
                if (System.console() != null) {
                    say("Admin console: %s/admin/master/console/#/%s/realm-settings/outbound-relay (admin / %s)",
                            keycloak.baseUri(), realm, adminPassword);
                    say("Press Enter to stop Keycloak and the relay.");
                    System.console().readLine();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void printProbe(Map<String, Object> probe) {
        Map<String, Object> report = (Map<String, Object>) probe.get("report");
        say("  %s, %s: %s", report.get("relay"), report.get("tlsMode"), Boolean.TRUE.equals(probe.get("passed")) ? "every step passed" : "FAILED");
        for (Map<String, Object> step : (List<Map<String, Object>>) report.get("steps")) {
            say("  %-7s %-10s %5s ms  %s", step.get("outcome"), step.get("step"), step.get("elapsedMillis"), step.get("summary"));
            ((Map<String, Object>) step.get("details")).forEach((k, v) -> say("%30s%s: %s", "", k, v));
            if (step.get("category") != null) {
                say("          %s: %s", step.get("category"), step.get("remedy"));
            }
        }
        say("  Transcript (AUTH redacted):");
        ((List<String>) report.get("transcript")).forEach(line -> say("    %s", line));
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }
}
