package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The attack on a Keycloak host: a local user (or a backup) reads the relay's spool under {@code data/} looking for
 * reset links. Keycloak on dev-file queues in files: they are private to Keycloak's user, and the mail in them is
 * sealed with the realm's AES key, so neither a queued mail nor a dead letter shows its link.
 */
@ExtendWith(RealKeycloak.class)
class MailAtRestIT {

    @Test
    void aDeadLetterInTheSpoolHoldsNoReadableLinkAndTheSpoolIsPrivate(RealKeycloak.Suite suite) throws Exception {
        AtomicBoolean refusing = new AtomicBoolean(true);
        try (EmbeddedRelay relay = EmbeddedRelay.builder(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)
                .refuseRecipients(recipient -> refusing.get()).start()) {
            String realm = suite.admin.createRealm("at-rest-" + System.nanoTime(), suite.emailTab(relay.port()));
            String realmId = (String) AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm)).json().get("id");
            String base = "/admin/realms/" + realm + "/outbound-relay/";
            String userId = suite.admin.createUser(realm, "rosa", "rosa@example.org", "Rosa-pw-1");
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                    List.of("UPDATE_PASSWORD")));
            Poll.until("a dead letter", Duration.ofSeconds(30), () ->
                    Long.valueOf(1).equals(AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json().get("total")));

            Path spool = suite.keycloak.dataDirectory().resolve("outbound-relay/spool").resolve(realmId);
            String linkPath = "/realms/" + realm + "/login-actions/action-token?key=";
            assertThat(filesContaining(spool, linkPath)).as("files of the spool holding the link").isEmpty();
            try (Stream<Path> all = Files.walk(spool)) {
                for (Path p : all.toList()) {
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                            .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
                }
            }

            // The link was in that dead letter: once the relay takes the mail, it arrives with it.
            refusing.set(false);
            @SuppressWarnings("unchecked")
            String id = (String) ((List<Map<String, Object>>) AdminApi.expect(200, suite.admin.get(base + "dead-letters"))
                    .json().get("deadLetters")).get(0).get("id");
            AdminApi.expect(200, suite.admin.post(base + "dead-letters/" + id + "/retry", null));
            EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(1, Duration.ofSeconds(30)).get(0);
            String link = ReceivedMessage.parse(mail.envelopeFrom(), mail.recipients(), mail.data()).actionLink();
            assertThat(link).contains(linkPath);
            Poll.until("the spool let go of the delivered mail", Duration.ofSeconds(10), () ->
                    Long.valueOf(0).equals(AdminApi.expect(200, suite.admin.get(base + "metrics")).json().get("queueDepth")));
            assertThat(filesContaining(spool, link.substring(link.indexOf("key=")))).isEmpty();

            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }

    /** Every file under {@code dir} whose bytes contain {@code text}: what someone who can read the directory finds. */
    static List<Path> filesContaining(Path dir, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).filter(p -> contains(p, needle)).toList();
        }
    }

    private static boolean contains(Path file, byte[] needle) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            for (int i = 0; i + needle.length <= bytes.length; i++) {
                if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false; // renamed or deleted meanwhile
        }
    }
}
