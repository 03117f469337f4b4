package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hudson.model.Descriptor.FormException;
import java.io.File;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.sf.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kohsuke.stapler.StaplerRequest2;

/**
 * Saving the page refuses what the queue could not use, naming the field, and changes nothing: a real Jenkins
 * stored "not-an-address", a 0 s timeout and -5 mails per minute, and the queue then stayed closed.
 */
class SettingsSaveTest {
    @TempDir
    File home;
    RecordingJenkinsForTests jenkins;
    RelayConfiguration configuration;

    @BeforeEach
    void start() throws Exception {
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of("relay-login",
                InMemoryCredentialsForTests.usernamePassword("relay-login", "user", "password"))));
        configuration = new RelayConfiguration();
        jenkins.register(configuration);
        configuration.configure(post(validForm()), new JSONObject());
    }

    @AfterEach
    void stop() throws Exception {
        configuration.stopQueue();
        jenkins.close();
    }

    /** A form as the browser posts it, bound by Stapler's rules. */
    static StaplerRequest2 post(Map<String, Object> form) {
        return (StaplerRequest2) Proxy.newProxyInstance(SettingsSaveTest.class.getClassLoader(), new Class<?>[] {StaplerRequest2.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("bindJSON") && args.length == 2) {
                        StaplerBindingRules.bind(args[0], form);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    static Map<String, Object> validForm() {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("fromAddress", "jenkins@example.com");
        form.put("fromName", "Jenkins");
        form.put("replyTo", "");
        form.put("connectTimeout", "10");
        form.put("readTimeout", "30");
        form.put("trustPem", "");
        form.put("certificatePins", "");
        form.put("messagesPerMinute", "30");
        form.put("messagesPerHour", "0");
        form.put("retryHours", "24");
        form.put("deadLetterBodyHours", "24");
        form.put("maxMessageMegabytes", "25");
        form.put("maskRecipients", true);
        form.put("testRecipient", "");
        form.put("recipientsPerMinute", "0");
        form.put("recipientsPerHour", "0");
        form.put("jobsMayChooseFrom", false);
        form.put("allowedSenderDomains", "");
        form.put("maxRecipientsPerMail", "50");
        form.put("allowedRecipientDomains", "");
        form.put("relays", Map.of("host", "smtp.example.com", "port", "587", "tlsMode", "STARTTLS",
                "authMode", "PASSWORD", "credentialsId", "relay-login"));
        return form;
    }

    static Map<String, Object> with(String field, Object value) {
        Map<String, Object> form = validForm();
        form.put(field, value);
        return form;
    }

    static Map<String, Object> withRelay(String field, String value) {
        Map<String, Object> form = validForm();
        @SuppressWarnings("unchecked")
        Map<String, Object> relay = new LinkedHashMap<>((Map<String, Object>) form.get("relays"));
        relay.put(field, value);
        form.put("relays", List.of(Map.of("host", "backup.example.com", "authMode", "NONE"), relay));
        return form;
    }

    void assertRefused(Map<String, Object> form, String field, String message) {
        assertThatThrownBy(() -> configuration.configure(post(form), new JSONObject()))
                .isInstanceOf(FormException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((FormException) e).getFormField()).isEqualTo(field));
        // Nothing changed: the saved settings stay as they were.
        assertThat(configuration.getFromAddress()).isEqualTo("jenkins@example.com");
        assertThat(configuration.getConnectTimeout()).isEqualTo(10);
        assertThat(configuration.getMessagesPerMinute()).isEqualTo(30);
        assertThat(configuration.getRelays()).singleElement().satisfies(r -> {
            assertThat(r.getHost()).isEqualTo("smtp.example.com");
            assertThat(r.getPort()).isEqualTo("587");
        });
    }

    @Test
    void aValidFormIsSaved() throws Exception {
        Map<String, Object> form = with("messagesPerMinute", "45");
        configuration.configure(post(form), new JSONObject());
        assertThat(configuration.getMessagesPerMinute()).isEqualTo(45);
        assertThat(configuration.relaySettings()).singleElement().satisfies(s -> assertThat(s.port()).isEqualTo(587));
    }

    @Test
    void aFromAddressThatIsNotAnAddressIsRefused() {
        assertRefused(with("fromAddress", "not-an-address"), "fromAddress", "fromAddress");
    }

    @Test
    void anEmptyFromAddressIsRefusedWhileRelaysAreConfigured() {
        assertRefused(with("fromAddress", ""), "fromAddress", "Enter the address every mail is sent as");
    }

    @Test
    void aConnectTimeoutOfZeroIsRefused() {
        assertRefused(with("connectTimeout", "0"), "connectTimeout", "outside 1..600");
    }

    @Test
    void aNegativeRateIsRefused() {
        assertRefused(with("messagesPerMinute", "-5"), "messagesPerMinute", "-5 is outside 0..100000");
        assertRefused(with("retryHours", "0"), "retryHours", "0 is outside 1..168");
        assertRefused(with("deadLetterBodyHours", "721"), "deadLetterBodyHours", "721 is outside 0..720");
    }

    @Test
    void theLargestMailIsSavedAndReachesTheRelaySettings() throws Exception {
        assertRefused(with("maxMessageMegabytes", "0"), "maxMessageMegabytes", "0 is outside 1..150");
        configuration.configure(post(with("maxMessageMegabytes", "40")), new JSONObject());
        assertThat(configuration.relaySettings()).singleElement()
                .satisfies(s -> assertThat(s.maxMessageBytes()).isEqualTo(40L << 20));
    }

    @Test
    void theJobMailLimitsAreSaved() throws Exception {
        Map<String, Object> form = validForm();
        form.put("jobsMayChooseFrom", true);
        form.put("allowedSenderDomains", "example.com, *.example.org");
        form.put("maxRecipientsPerMail", "10");
        form.put("allowedRecipientDomains", "example.com");
        form.put("recipientsPerMinute", "100");
        form.put("recipientsPerHour", "400");
        configuration.configure(post(form), new JSONObject());
        assertThat(configuration.jobMailPolicy()).isEqualTo(new JobMailPolicy(true,
                io.github.outboundrelay.common.DomainAllowList.parse("example.com *.example.org", "x"),
                io.github.outboundrelay.common.DomainAllowList.parse("example.com", "x"), 10,
                io.github.outboundrelay.common.MailAddress.parse("jenkins@example.com", "x")));
        assertThat(configuration.throttle()).isEqualTo(new io.github.outboundrelay.common.Throttle(30, 0, 100, 400));
    }

    @Test
    void aDomainListWithSomethingThatIsNotADomainIsRefused() {
        assertRefused(with("allowedSenderDomains", "example.com, @example.org"), "allowedSenderDomains",
                "'@example.org' is not a domain");
        assertRefused(with("allowedRecipientDomains", "example.com:25"), "allowedRecipientDomains", "is not a domain");
    }

    @Test
    void aRecipientCapOrRecipientRateOutOfRangeIsRefused() {
        assertRefused(with("maxRecipientsPerMail", "0"), "maxRecipientsPerMail", "0 is outside 1..10000");
        assertRefused(with("recipientsPerMinute", "-1"), "recipientsPerMinute", "-1 is outside 0..1000000");
        assertRefused(with("recipientsPerHour", "-1"), "recipientsPerHour", "-1 is outside 0..10000000");
    }

    @Test
    void aPortThatIsNotANumberIsRefusedNamingTheRelay() {
        assertRefused(withRelay("port", "abc"), "port", "Relay 2 (smtp.example.com): port: 'abc' is not a number");
        assertRefused(withRelay("port", "70000"), "port", "outside 1..65535");
    }

    @Test
    void aCredentialThatDoesNotExistIsRefused() {
        assertRefused(withRelay("credentialsId", "deleted-login"), "credentialsId", "'deleted-login' does not exist");
    }

    @Test
    void anEmptyPortMeansTheUsualPortOfTheTlsMode() throws Exception {
        configuration.configure(post(withRelay("port", "")), new JSONObject());
        assertThat(configuration.relaySettings().get(1).port()).isEqualTo(587);
    }

    /** A valid form with a bounce mailbox, one field changed. */
    static Map<String, Object> withMailbox(String field, Object value) {
        Map<String, Object> form = validForm();
        form.put("bounceHost", "imap.example.com");
        form.put("bouncePort", "");
        form.put("bounceTlsMode", "IMPLICIT_TLS");
        form.put("bounceCredentialsId", "relay-login");
        form.put("bounceFolder", "INBOX");
        form.put("bounceDisposition", "FLAG");
        form.put("bounceMoveTo", "");
        form.put("bouncePollMinutes", "5");
        form.put("hardBounceWarningPercent", "5");
        form.put("hardBounceCriticalPercent", "10");
        form.put("complaintWarningPercent", "0.1");
        form.put("complaintCriticalPercent", "0.5");
        form.put("softBounceLimit", "5");
        form.put(field, value);
        return form;
    }

    @Test
    void aBounceMailboxIsSavedWithItsLimitsAndTheUsualPort() throws Exception {
        configuration.configure(post(withMailbox("complaintWarningPercent", "0.2")), new JSONObject());
        assertThat(configuration.bounceMailbox()).satisfies(m -> {
            assertThat(m.host()).isEqualTo("imap.example.com");
            assertThat(m.port()).isEqualTo(993);
            assertThat(m.user()).isEqualTo("user");
            assertThat(m.folder()).isEqualTo("INBOX");
        });
        assertThat(configuration.bounceLimits()).isEqualTo(new io.github.outboundrelay.common.BounceLimits(0.05, 0.10, 0.002, 0.005, 5));
        configuration.configure(post(withMailbox("bounceHost", "")), new JSONObject());
        assertThat(configuration.bounceMailbox()).as("no host: no mailbox").isNull();
    }

    @Test
    void eachBounceFieldThatCannotBeUsedIsRefusedByName() {
        assertRefused(withMailbox("bouncePort", "abc"), "bouncePort", "'abc' is not a number");
        assertRefused(withMailbox("bouncePort", "70000"), "bouncePort", "outside 1..65535");
        assertRefused(withMailbox("bounceTlsMode", "NONE"), "bounceTlsMode", "never crosses the network in plain text");
        assertRefused(withMailbox("bounceCredentialsId", ""), "bounceCredentialsId", "Username with password");
        assertRefused(withMailbox("bounceCredentialsId", "deleted-login"), "bounceCredentialsId", "'deleted-login' does not exist");
        assertRefused(withMailbox("bounceDisposition", "MOVE"), "bounceMoveTo", "Give the folder processed reports are moved to");
        assertRefused(withMailbox("bounceHost", "imap example.com"), "bounceHost", "is not a host name");
        assertRefused(withMailbox("bouncePollMinutes", "0"), "bouncePollMinutes", "0 is outside 1..1440");
        assertRefused(withMailbox("hardBounceWarningPercent", "abc"), "hardBounceWarningPercent", "Give a percentage such as 5");
        assertRefused(withMailbox("complaintCriticalPercent", "0"), "complaintCriticalPercent", "outside 0..100");
        assertRefused(withMailbox("hardBounceWarningPercent", "20"), "hardBounceWarningPercent", "at most the critical level");
        assertRefused(withMailbox("softBounceLimit", "0"), "softBounceLimit", "0 is outside 1..1000");
    }

    @Test
    void theLimitsAreCheckedEvenWithoutAMailbox() {
        Map<String, Object> form = validForm();
        form.put("complaintWarningPercent", "1");
        form.put("complaintCriticalPercent", "0.5");
        assertRefused(form, "complaintWarningPercent", "at most the critical level");
    }

    @Test
    void theBounceFieldChecksNameTheFix() {
        assertThat(configuration.doCheckBouncePort("abc", "IMPLICIT_TLS").renderHtml()).contains("Use 993 for implicit TLS");
        assertThat(configuration.doCheckBouncePort("993", "STARTTLS").kind).isEqualTo(hudson.util.FormValidation.Kind.WARNING);
        assertThat(configuration.doCheckBounceTlsMode("NONE").renderHtml()).contains("plain text");
        assertThat(configuration.doCheckBounceCredentialsId("imap.example.com", "").renderHtml()).contains("Username with password");
        assertThat(configuration.doCheckBounceCredentialsId("", "").kind).isEqualTo(hudson.util.FormValidation.Kind.OK);
        assertThat(configuration.doCheckBounceMoveTo("MOVE", "").renderHtml()).contains("Give the folder");
        assertThat(configuration.doCheckHardBounceWarningPercent("x").renderHtml()).contains("Give a percentage such as 5 or 0.1");
        assertThat(configuration.doCheckSoftBounceLimit("0").renderHtml()).contains("from 1 to 1000");
        assertThat(configuration.doCheckBounceHost("").kind).isEqualTo(hudson.util.FormValidation.Kind.OK);
        assertThat(configuration.doCheckBounceHost("imap example.com").renderHtml()).contains("is not a host name");
    }

    @Test
    void withVerpTheRelaysSendWithAVerpSenderAndTheMailboxMatchesByIt() throws Exception {
        configuration.configure(post(withMailbox("bounceVerp", true)), new JSONObject());
        assertThat(configuration.relaySettings()).singleElement().satisfies(r -> assertThat(r.verp()).isTrue());
        assertThat(configuration.bounceMailbox().verpSender()).isEqualTo("jenkins@example.com");
        configuration.configure(post(withMailbox("bounceVerp", false)), new JSONObject());
        assertThat(configuration.relaySettings()).singleElement().satisfies(r -> assertThat(r.verp()).isFalse());
        assertThat(configuration.bounceMailbox().verpSender()).isNull();
    }
}
