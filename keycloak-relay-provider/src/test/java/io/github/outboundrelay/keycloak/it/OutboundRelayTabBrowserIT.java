package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.Poll;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A realm administrator, in a real browser (Debian's chromium and chromedriver), opens Realm settings -> Outbound
 * relay, changes the rate limit and saves; the realm's relay is rebuilt with the new value. Saves the screenshot
 * that docs/keycloak.md shows.
 */
@ExtendWith(RealKeycloak.class)
class OutboundRelayTabBrowserIT {
    static final String OUTBOUND_RELAY_TAB = "//*[@role='tab' and normalize-space(.)='Outbound relay']";
    static RealKeycloak.Suite suite;
    static String realm;
    static WebDriver browser;

    @BeforeAll
    static void openBrowser(RealKeycloak.Suite shared) throws Exception {
        suite = shared;
        realm = suite.newRealm("console");
        browser = HeadlessChromium.start();
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void anAdministratorChangesTheRateLimitAndItIsInEffect() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        browser.get(suite.keycloak.baseUri() + "/admin/master/console/#/" + realm);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(KeycloakServer.ADMIN_USER);
        browser.findElement(By.id("password")).sendKeys(suite.keycloak.adminPassword());
        browser.findElement(By.id("kc-login")).click();

        // As a person would: Realm settings in the navigation, then the Outbound relay tab.
        wait.until(ExpectedConditions.elementToBeClickable(By.id("nav-item-realm-settings"))).click();
        WebElement outboundRelayTab = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.xpath(OUTBOUND_RELAY_TAB)));
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'nearest', inline: 'center'}); arguments[0].click();", outboundRelayTab);
        wait.until(ExpectedConditions.urlContains("/realm-settings/outbound-relay"));

        WebElement rateLimit = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("input[data-testid='rateLimitPerMinute']")));
        rateLimit.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        rateLimit.sendKeys("42");
        WebElement fallback = browser.findElement(By.cssSelector("input[data-testid='fallbackRelay']"));
        fallback.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        fallback.sendKeys("smtp-backup.example.com:587");
        browser.findElement(By.cssSelector("button[data-testid='save']")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".pf-v5-c-alert.pf-m-success, .pf-c-alert.pf-m-success")));

        // The tab strip overflows at this width: bring the active tab into the picture.
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'nearest', inline: 'center'});",
                browser.findElement(By.xpath(OUTBOUND_RELAY_TAB)));
        screenshot("keycloak-outbound-relay-tab.png");

        // In effect: the realm's next mail goes out through a relay rebuilt with the saved value.
        String userId = suite.admin.createUser(realm, "grace", "grace@example.org", "Grace-pw-1");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm + "/users/" + userId + "/send-verify-email", Map.of()));
        Poll.until("the realm's relay runs with the saved rate limit", Duration.ofSeconds(20), () -> {
            Object inUse = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/status"))
                    .json().get("relayInUse");
            return inUse instanceof Map<?, ?> m && Long.valueOf(42).equals(m.get("rateLimitPerMinute"));
        });
        Map<String, Object> status = AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm + "/outbound-relay/status")).json();
        assertThat(status).containsEntry("tabSaved", true);
        assertThat(status.get("relayInUse").toString()).contains("smtp-backup.example.com:587");

        // The Email tab this provider reads, for the documentation.
        WebElement emailTab = browser.findElement(By.cssSelector("[data-testid='rs-email-tab']"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'nearest', inline: 'center'}); arguments[0].click();", emailTab);
        wait.until(ExpectedConditions.urlContains("/realm-settings/email"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("input[name='smtpServer.host']")));
        for (WebElement close : browser.findElements(By.cssSelector(".pf-v5-c-alert__action button"))) {
            close.click(); // the earlier "Saved successfully" would hide part of the form
        }
        WebElement connection = browser.findElement(By.xpath("//*[normalize-space(text())='Connection & Authentication']"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'start'});", connection);
        screenshot("keycloak-email-tab.png");
    }

    private static void screenshot(String name) throws java.io.IOException {
        HeadlessChromium.screenshot(browser, name);
    }
}
