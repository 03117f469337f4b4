package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chromium.HasCdp;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console page of the provider's admin theme ("outbound-relay", extending the stock console), in a real browser
 * (Debian's chromium and chromedriver) against the real Keycloak and a real relay: an administrator of the realm
 * opens Outbound relay from the console's navigation, runs the probe against a saved wrong password and reads
 * AUTH_FAILED with its remedy; retries a dead letter after its cause is fixed and the relay receives the mail; an
 * administrator with view-realm only sees the health and no button; the server's administrator sees the realm's page
 * in the master console. Saves the screenshots docs/keycloak.md shows.
 */
@ExtendWith(RealKeycloak.class)
class OutboundRelayPageBrowserIT {
    static final String THEME = "outbound-relay";
    static RealKeycloak.Suite suite;
    static EmbeddedRelay relay;
    static String realm;
    static WebDriver browser;
    WebDriverWait wait;

    @BeforeAll
    static void realmWithTheTheme(RealKeycloak.Suite shared) throws Exception {
        suite = shared;
        // A relay of its own: this class refuses and accepts recipients on it.
        relay = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword);
        realm = suite.admin.createRealm("page-" + UUID.randomUUID().toString().substring(0, 8), suite.emailTab(relay.port()));
        // The realm's own console (/admin/{realm}/console) uses the realm's admin theme.
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("adminTheme", THEME)));
        suite.admin.createUser(realm, "operator", "operator@example.org", "Operator-pw-1");
        suite.admin.grantRealmManagementRole(realm, "operator", "realm-admin");
        suite.admin.createUser(realm, "auditor", "auditor@example.org", "Auditor-pw-1");
        suite.admin.grantRealmManagementRole(realm, "auditor", "view-realm");
        browser = HeadlessChromium.start();
    }

    @AfterAll
    static void closeAll() {
        if (browser != null) {
            browser.quit();
        }
        if (realm != null) {
            suite.admin.delete("/admin/realms/" + realm); // before its relay stops
        }
        if (relay != null) {
            relay.close();
        }
    }

    @BeforeEach
    void signedOut() {
        wait = new WebDriverWait(browser, Duration.ofSeconds(90));
        // All of them: WebDriver's deleteAllCookies sees only the current path's, not Keycloak's /realms/{realm}/ session.
        ((HasCdp) browser).executeCdpCommand("Network.clearBrowserCookies", Map.of());
    }

    @Test
    void theProbeOfASavedWrongPasswordShowsAuthFailedWithItsRemedyStepByStep() throws Exception {
        Map<String, String> wrongPassword = suite.emailTab(relay.port());
        wrongPassword.put("password", "not-the-relay-password");
        suite.admin.setSmtpServer(realm, wrongPassword);
        try {
            signIn("operator", "Operator-pw-1");
            // As a person would: the entry the theme adds to the console's navigation.
            wait.until(ExpectedConditions.elementToBeClickable(By.id("nav-item-outbound-relay"))).click();
            wait.until(ExpectedConditions.urlContains("/outbound-relay"));
            int authFailuresBefore = relay.authFailures();

            testId("relay-run-probe").click();

            WebElement category = wait.until(ExpectedConditions.visibilityOfElementLocated(byTestId("relay-probe-category")));
            assertThat(category.getText()).isEqualTo("AUTH_FAILED");
            assertThat(testId("relay-probe-remedy").getText())
                    .contains("the relay refused the credentials: check the user name and password");
            List<WebElement> steps = browser.findElements(By.cssSelector("[data-testid='relay-probe-step']"));
            assertThat(steps).extracting(s -> s.getAttribute("data-step") + "=" + s.getAttribute("data-outcome"))
                    .contains("TCP=PASSED", "TLS=PASSED", "EHLO=PASSED", "AUTH=FAILED");
            assertThat(relay.authFailures()).as("AUTH refusals seen by the relay").isGreaterThan(authFailuresBefore);
            assertThat(browser.getPageSource()).doesNotContain("not-the-relay-password").doesNotContain(suite.relayPassword);
            scrollTo(testId("relay-probe"));
            HeadlessChromium.screenshot(browser, "keycloak-outbound-relay-page-probe.png");
        } finally {
            suite.admin.setSmtpServer(realm, suite.emailTab(relay.port()));
        }
    }

    @Test
    void aDeadLetterRetriedFromThePageAfterItsCauseIsFixedIsDelivered() throws Exception {
        String base = "/admin/realms/" + realm + "/outbound-relay/";
        relay.refuse("judy@example.org");
        String userId = suite.admin.createUser(realm, "judy", "judy@example.org", "Judy-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                List.of("UPDATE_PASSWORD")));
        relay.awaitRefusals(1, Duration.ofSeconds(30));
        Poll.until("a dead letter", Duration.ofSeconds(30), () ->
                Long.valueOf(1).equals(AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json().get("total")));

        signIn("operator", "Operator-pw-1");
        browser.get(suite.keycloak.baseUri() + "/admin/" + realm + "/console/#/" + realm + "/outbound-relay");
        WebElement letter = wait.until(ExpectedConditions.visibilityOfElementLocated(byTestId("relay-dead-letter")));
        assertThat(letter.getText()).contains("Update Your Account", "j***@example.org", "RECIPIENT_REJECTED", "User unknown")
                .doesNotContain("judy@example.org");
        assertThat(testId("relay-dead-letters").getText()).contains("Dead letters (1)");
        assertThat(testId("relay-queue").getText()).contains("127.0.0.1:" + relay.port());
        scrollTo(testId("relay-dead-letters"));
        HeadlessChromium.screenshot(browser, "keycloak-outbound-relay-page-dead-letters.png");

        relay.accept("judy@example.org"); // the cause fixed: the address exists now
        letter.findElement(byTestId("relay-retry")).click();

        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(byTestId("relay-action-done"))).getText())
                .startsWith("Queued again: Update Your Account");
        List<EmbeddedRelay.ReceivedMail> delivered = relay.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(delivered.get(0).recipients()).containsExactly("judy@example.org");
        assertThat(delivered.get(0).content()).contains("Subject: Update Your Account");
        // The page follows: no dead letter left, a SENT event in the recent ones.
        Poll.until("the page shows the mail sent", Duration.ofSeconds(30), () -> {
            testId("relay-refresh").click();
            return !browser.findElements(By.cssSelector("[data-testid='relay-no-dead-letters']")).isEmpty()
                    && !browser.findElements(By.cssSelector("[data-testid='relay-event'][data-outcome='SENT']")).isEmpty();
        });
        scrollTo(testId("relay-queue"));
        HeadlessChromium.screenshot(browser, "keycloak-outbound-relay-page-queue.png");
    }

    @Test
    void anAdministratorWithViewRealmOnlySeesTheHealthAndNoAction() throws Exception {
        signIn("auditor", "Auditor-pw-1");
        browser.get(suite.keycloak.baseUri() + "/admin/" + realm + "/console/#/" + realm + "/outbound-relay");

        assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(byTestId("relay-read-only"))).getText())
                .contains("manage-realm");
        assertThat(testId("relay-health-status").getText()).startsWith("Mail is ");
        for (String action : List.of("relay-run-probe", "relay-retry", "relay-purge", "relay-purge-all", "relay-refresh")) {
            assertThat(browser.findElements(byTestId(action))).as(action).isEmpty();
        }
        // What the page hides, the resource refuses: the same login cannot retry or purge.
        AdminApi auditor = new AdminApi(suite.keycloak.baseUri(), realm, "auditor", "Auditor-pw-1");
        assertThat(auditor.post("/admin/realms/" + realm + "/outbound-relay/dead-letters/purge", null).status()).isEqualTo(403);
        assertThat(auditor.post("/admin/realms/" + realm + "/outbound-relay/probe", null).status()).isEqualTo(403);
    }

    @Test
    void thePageKeepsWorkingAfterTheConsolesAccessTokenExpired() throws Exception {
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("accessTokenLifespan", 20)));
        try {
            signIn("operator", "Operator-pw-1");
            browser.get(suite.keycloak.baseUri() + "/admin/" + realm + "/console/#/" + realm + "/outbound-relay");
            testId("relay-queue");
            Instant expired = Instant.now().plusSeconds(21);
            // Waiting on the clock itself: the token the console signed in with must be past its 20 s.
            Poll.until("the console's access token expired", Duration.ofSeconds(40), () -> Instant.now().isAfter(expired));

            testId("relay-run-probe").click();

            assertThat(wait.until(ExpectedConditions.visibilityOfElementLocated(byTestId("relay-probe-passed"))).getText())
                    .startsWith("Every step passed: 127.0.0.1:" + relay.port());
            assertThat(browser.findElements(byTestId("relay-session-expired"))).isEmpty();
        } finally {
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("accessTokenLifespan", 300)));
        }
    }

    @Test
    void theServersAdministratorSeesTheRealmsPageInTheMasterConsole() {
        // The master console takes the master realm's admin theme; set back at once for the other browser test.
        AdminApi.expect(204, suite.admin.put("/admin/realms/master", Map.of("adminTheme", THEME)));
        try {
            signIn("master", KeycloakServer.ADMIN_USER, suite.keycloak.adminPassword());
            browser.get(suite.keycloak.baseUri() + "/admin/master/console/#/" + realm + "/outbound-relay");

            // A master token on realm page-...'s resource: the page is the realm's, the login the server's.
            WebElement page = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("outbound-relay-page")));
            assertThat(page.getAttribute("data-realm")).isEqualTo(realm);
            assertThat(testId("relay-queue").getText()).contains("127.0.0.1:" + relay.port());
            assertThat(testId("relay-run-probe").isEnabled()).isTrue();
            assertThat(browser.findElements(byTestId("relay-read-only"))).isEmpty();
        } finally {
            AdminApi.expect(204, suite.admin.put("/admin/realms/master", Map.of("adminTheme", "keycloak.v2")));
        }
    }

    /** Signs in to the realm's own console, as the realm's administrators do. */
    private void signIn(String user, String password) {
        signIn(realm, user, password);
    }

    /** Signs in to the console of {@code consoleRealm} (master: the server's administrators' console). */
    private void signIn(String consoleRealm, String user, String password) {
        browser.get("about:blank"); // a new document: a change of the console's hash alone would not sign anyone out
        browser.get(suite.keycloak.baseUri() + "/admin/" + consoleRealm + "/console/#/" + consoleRealm);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("kc-login")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".pf-v5-c-page__sidebar")));
    }

    private static By byTestId(String id) {
        return By.cssSelector("[data-testid='" + id + "']");
    }

    private WebElement testId(String id) {
        return wait.until(ExpectedConditions.presenceOfElementLocated(byTestId(id)));
    }

    private static void scrollTo(WebElement element) {
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'start'});", element);
    }
}
