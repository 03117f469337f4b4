package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.outboundrelay.testing.DovecotServer;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.PostfixServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounces end to end on the real distribution, with Debian's Postfix and Dovecot: the realm's reset-password mail to
 * an unknown user goes out through Postfix, which bounces it into the bounce Maildir; Dovecot serves the report over
 * IMAPS; the diagnostics resource's "poll now" reads it; the address is suppressed in Keycloak's database, the user's
 * email is no longer verified (an admin event says so), and the next reset mail is not sent but dead-lettered as
 * RECIPIENT_SUPPRESSED. The realm sends with VERP, so the report comes back to an address naming its recipient.
 * Removing the address on the console page (Chromium) brings sending back. An administrator of another realm can neither
 * read nor change the list, and no answer holds the mailbox password.
 */
@ExtendWith(RealKeycloak.class)
class BouncesIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String GHOST = "ghost@" + PostfixServer.BOUNCING_DOMAIN;

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void aBouncedResetMailSuppressesTheAddressUnverifiesTheUserAndStopsTheNextMailUntilRemoved(RealKeycloak.Suite suite)
            throws Exception {
        assumeTrue(PostfixServer.installed(), PostfixServer.NOT_INSTALLED);
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        // Dovecot presents the suite's certificate, which Keycloak's trust bundle holds: hostname verification stays on.
        try (DovecotServer dovecot = DovecotServer.start(dir, suite.certificate);
             PostfixServer postfix = PostfixServer.start(dir.resolve("postfix"), dovecot.mailDirectory(), List.of("bounces"))) {
            String bounceAddress = "bounces@" + PostfixServer.MAILBOX_DOMAIN;
            Map<String, String> smtp = new HashMap<>(Map.of("host", "127.0.0.1", "port", Integer.toString(postfix.port),
                    "ssl", "false", "starttls", "false", "auth", "false", "from", bounceAddress,
                    "envelopeFrom", bounceAddress, "connectionTimeout", "5000", "timeout", "10000", "writeTimeout", "10000"));
            String realm = suite.admin.createRealm("bounces-" + System.nanoTime(), smtp);
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("adminEventsEnabled", true,
                    "adminEventsDetailsEnabled", true)));
            suite.admin.saveOutboundRelayTab(realm, Map.of("bounceHost", "127.0.0.1",
                    "bouncePort", Integer.toString(dovecot.imapsPort), "bounceTlsMode", "implicit", "bounceUser", "bounces",
                    "bouncePassword", DovecotServer.PASSWORD, "bouncePollMinutes", "60", "bounceVerp", "true"));
            // The realm's console shows the provider's page: its administrator removes the address there.
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("adminTheme", "outbound-relay")));
            suite.admin.createUser(realm, "operator", "operator@example.org", "Operator-pw-1");
            suite.admin.grantRealmManagementRole(realm, "operator", "realm-admin");
            String base = "/admin/realms/" + realm + "/outbound-relay/";
            // The saved mailbox password, sent back masked as the console does, does not follow a changed host.
            String components = "/admin/realms/" + realm + "/components";
            Map<String, Object> tab = AdminApi.expect(200, suite.admin.get(components
                    + "?type=org.keycloak.services.ui.extend.UiTabProvider")).jsonArray().get(0);
            assertThat(String.valueOf(tab.get("config"))).doesNotContain(DovecotServer.PASSWORD).contains("**********");
            Map<String, Object> moved = new HashMap<>(tab);
            Map<String, Object> movedConfig = new HashMap<>((Map<String, Object>) tab.get("config"));
            movedConfig.put("bounceHost", List.of("localhost"));
            moved.put("config", movedConfig);
            AdminApi.Reply refused = suite.admin.put(components + "/" + tab.get("id"), moved);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("bouncePassword", "bounceHost changed");
            String userId = suite.admin.createUser(realm, "ghost", GHOST, "Ghost-pw-1");
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId, Map.of("emailVerified", true)));

            // The reset mail goes to Postfix, which bounces it to the bounce mailbox.
            resetMail(suite, realm, userId);
            Poll.until("Postfix bounced the reset mail", WAIT, () -> bounced(postfix) == 1);
            Map<String, Object> polled = pollUntilHardBounce(suite, base);
            assertThat(polled).containsEntry("failure", null);
            assertThat(postfix.log()).as("VERP: the reset mail left with an envelope sender naming its recipient, and the "
                    + "report came back to it").contains("from=<bounces+ghost=bounce.test@mailbox.test>")
                    .contains("to=<bounces+ghost=bounce.test@mailbox.test>");

            Map<String, Object> entry = ((List<Map<String, Object>>) AdminApi.expect(200,
                    suite.admin.get(base + "bounces/suppressions?search=GHOST")).json().get("suppressions")).get(0);
            assertThat(entry).containsEntry("address", GHOST).containsEntry("suppressed", true)
                    .containsEntry("reason", "hard").containsEntry("status", "5.1.1");
            Map<String, Object> bounces = AdminApi.expect(200, suite.admin.get(base + "bounces")).json();
            Map<String, Object> last24 = (Map<String, Object>) ((Map<String, Object>) bounces.get("rates")).get("last24Hours");
            assertThat(last24).containsEntry("hardBounces", 1L).containsEntry("sentRecipients", 1L)
                    .containsEntry("hardBounceRate", 1.0);
            assertThat((List<String>) ((Map<String, Object>) bounces.get("rates")).get("warnings")).isNotEmpty();

            // The user's email is no longer verified, and an admin event says why.
            Map<String, Object> user = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/users/" + userId)).json();
            assertThat(user).containsEntry("emailVerified", false);
            List<Map<String, Object>> events = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm
                    + "/admin-events?resourceTypes=USER&operationTypes=UPDATE")).jsonArray();
            assertThat(events).anySatisfy(e -> {
                assertThat(e).containsEntry("resourcePath", "users/" + userId);
                assertThat(String.valueOf(e.get("details"))).contains("outboundRelaySuppression", "5.1.1");
            });

            // The next reset mail is not sent: a dead letter that says why.
            resetMail(suite, realm, userId);
            Poll.until("the suppressed mail is a dead letter", WAIT, () ->
                    Long.valueOf(1).equals(AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json().get("total")));
            Map<String, Object> letter = ((List<Map<String, Object>>) AdminApi.expect(200,
                    suite.admin.get(base + "dead-letters")).json().get("deadLetters")).get(0);
            assertThat(letter).containsEntry("category", "RECIPIENT_SUPPRESSED").containsEntry("reason", "SUPPRESSED");
            assertThat(postfix.deliveries(GHOST, "bounced")).as("Postfix never saw the second mail").isEqualTo(1);

            // An administrator of another realm may neither read nor change this realm's list.
            String other = suite.newRealm("other");
            suite.admin.createUser(other, "boss", "boss@example.org", "Boss-pw-1");
            suite.admin.grantRealmManagementRole(other, "boss", "manage-realm");
            AdminApi stranger = new AdminApi(suite.keycloak.baseUri(), other, "boss", "Boss-pw-1");
            assertThat(stranger.get(base + "bounces/suppressions").status()).isEqualTo(403);
            assertThat(stranger.get(base + "bounces").status()).isEqualTo(403);
            assertThat(stranger.post(base + "bounces/suppressions/remove?address=" + AdminApi.encode(GHOST), null).status())
                    .isEqualTo(403);
            assertThat(stranger.post(base + "bounces/poll", null).status()).isEqualTo(403);

            // No answer holds the mailbox password: the resource's, nor the component's as the console reads it.
            for (String path : new String[] {base + "status", base + "bounces", base + "bounces/suppressions",
                    "/admin/realms/" + realm + "/components?type=org.keycloak.services.ui.extend.UiTabProvider"}) {
                assertThat(AdminApi.expect(200, suite.admin.get(path)).body()).as(path).doesNotContain(DovecotServer.PASSWORD);
            }

            // Fixed: the realm's administrator removes it on the console page (a POST with manage-realm, an admin
            // event), and the next mail goes to Postfix again.
            removeOnTheConsolePage(suite, realm);
            assertThat(suite.admin.post(base + "bounces/suppressions/remove?address=" + AdminApi.encode(GHOST), null).status())
                    .isEqualTo(404);
            // Keycloak's admin-events filter takes only its own resource types: filtered here.
            assertThat(AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/admin-events?operationTypes=DELETE"))
                    .jsonArray()).anySatisfy(e -> {
                        assertThat(e).containsEntry("resourceType", "OUTBOUND_RELAY_BOUNCES");
                        assertThat(String.valueOf(e.get("details"))).contains("g***@bounce.test").doesNotContain(GHOST);
                    });
            resetMail(suite, realm, userId);
            Poll.until("Postfix took the mail once the address was removed", WAIT,
                    () -> bounced(postfix) == 2);

            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm));
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + other));
        }
    }

    /** In Chromium: the page's bounces card lists the address with why, and its Remove button takes it off. */
    static void removeOnTheConsolePage(RealKeycloak.Suite suite, String realm) throws Exception {
        WebDriver browser = HeadlessChromium.start();
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(90));
            browser.get(suite.keycloak.baseUri() + "/admin/" + realm + "/console/#/" + realm);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys("operator");
            browser.findElement(By.id("password")).sendKeys("Operator-pw-1");
            browser.findElement(By.id("kc-login")).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".pf-v5-c-page__sidebar")));
            browser.get(suite.keycloak.baseUri() + "/admin/" + realm + "/console/#/" + realm + "/outbound-relay");
            WebElement entry = wait.until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("[data-testid='relay-suppression'][data-address='" + GHOST + "']")));
            assertThat(entry.getText()).contains(GHOST, "hard", "5.1.1");
            WebElement card = browser.findElement(By.cssSelector("[data-testid='relay-bounces']"));
            assertThat(card.getText()).contains("Hard-bounce rate", "100.00 % (24 h)", "VERP").doesNotContain(DovecotServer.PASSWORD);
            ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'start'});", card);
            HeadlessChromium.screenshot(browser, "keycloak-outbound-relay-page-bounces.png");

            entry.findElement(By.cssSelector("[data-testid='relay-suppression-remove']")).click();

            assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='relay-action-done']")))
                    .getText()).contains("Removed " + GHOST);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='relay-no-suppressions']")));
        } finally {
            browser.quit();
        }
    }

    static long bounced(PostfixServer postfix) {
        try {
            return postfix.deliveries(GHOST, "bounced");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void resetMail(RealKeycloak.Suite suite, String realm, String userId) {
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));
    }

    /** Asks the resource to poll until the report is read: Postfix delivers it to the Maildir asynchronously. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> pollUntilHardBounce(RealKeycloak.Suite suite, String base) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Map<String, Object> status = AdminApi.expect(200, suite.admin.post(base + "bounces/poll", null)).json();
            if (((Number) ((Map<String, Object>) status.get("reports")).get("hard")).longValue() >= 1
                    || System.nanoTime() > deadline) {
                return status;
            }
            Thread.sleep(500); // the report lands in another process's Maildir: there is no event to wait on
        }
    }
}
