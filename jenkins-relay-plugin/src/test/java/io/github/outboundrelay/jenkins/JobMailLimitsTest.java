package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hudson.AbortException;
import hudson.model.Result;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.jenkins.JobsForTests.BuildLogForTests;
import io.github.outboundrelay.jenkins.JobsForTests.FreestyleBuildForTests;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job cannot turn the relay account into a spam cannon or a phishing sender: it sends as the page's From unless
 * the administrator lets jobs choose one (within allowed domains), to at most so many recipients, only to allowed
 * domains, and every mail names the job and run it came from. A refused mail is never queued.
 */
class JobMailLimitsTest {
    static LoopbackRelayForTests loopback;
    static RecordingJenkinsForTests jenkins;
    static RelayConfiguration configuration;

    @BeforeAll
    static void start(@TempDir File home) throws Exception {
        loopback = new LoopbackRelayForTests();
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of("relay-login",
                InMemoryCredentialsForTests.usernamePassword("relay-login", LoopbackRelayForTests.USER, LoopbackRelayForTests.PASSWORD))));
        configuration = new RelayConfiguration();
        jenkins.register(configuration);
        RelayEndpoint relay = new RelayEndpoint("127.0.0.1");
        relay.setPort(loopback.port());
        relay.setCredentialsId("relay-login");
        configuration.setFromAddress("ci@example.com");
        configuration.setTrustPem(loopback.certificate.pem());
        configuration.setConnectTimeout(5);
        configuration.setReadTimeout(5);
        configuration.setRelays(List.of(relay));
    }

    @AfterAll
    static void stop() throws Exception {
        configuration.mailer().close();
        jenkins.close();
        loopback.close();
    }

    @BeforeEach
    void pageDefaults() {
        configuration.setJobsMayChooseFrom(false);
        configuration.setAllowedSenderDomains("");
        configuration.setAllowedRecipientDomains("");
        configuration.setMaxRecipientsPerMail(50);
        configuration.setRecipientsPerMinute(0);
    }

    static String relayMail(String to, String from) throws Exception {
        RelayMailStep step = new RelayMailStep(to, "Deployed", "All green");
        step.setFrom(from);
        return ((RelayMailStep.Execution) step.start(JobsForTests.contextWith(new BuildLogForTests()))).run();
    }

    static String notify(String recipients) throws Exception {
        BuildLogForTests log = new BuildLogForTests();
        new RelayMailNotifier(recipients).perform(new FreestyleBuildForTests(Result.FAILURE,
                new FreestyleBuildForTests(Result.SUCCESS, null)), null, log);
        return log.text();
    }

    static long submitted() {
        return configuration.deliveryStatus().status().metrics().submitted();
    }

    static String addresses(int count, String domain) {
        return IntStream.range(0, count).mapToObj(i -> "dev" + i + "@" + domain).collect(Collectors.joining(", "));
    }

    static String received(String messageId) throws InterruptedException {
        return Poll.untilPresent("the relay received " + messageId, Duration.ofSeconds(20), () -> loopback.relay.received().stream()
                .map(EmbeddedRelay.ReceivedMail::content).filter(content -> content.contains("Message-ID: " + messageId)).findFirst());
    }

    @Test
    void aJobMayNotChooseItsFromAddressUnlessTheAdministratorAllowsIt() throws Exception {
        long before = submitted();
        assertThatThrownBy(() -> relayMail("dev@example.com", "Payroll <payroll@example.com>"))
                .isInstanceOf(AbortException.class)
                .hasMessage("relayMail: from: jobs may not choose the From address on this Jenkins. Leave from out to "
                        + "send as ci@example.com, or ask an administrator to turn on 'Let jobs choose the From address' "
                        + "under Manage Jenkins » Outbound Email Relay");
        assertThat(submitted()).as("nothing was queued").isEqualTo(before);

        String id = relayMail("dev@example.com", "");
        assertThat(received(id)).contains("From: Jenkins <ci@example.com>");
    }

    @Test
    void aJobThatMayChooseItsFromStaysInThePagesDomainUnlessOtherDomainsAreAllowed() throws Exception {
        configuration.setJobsMayChooseFrom(true);
        assertThat(received(relayMail("dev@example.com", "Release bot <release@example.com>")))
                .contains("From: Release bot <release@example.com>");
        assertThatThrownBy(() -> relayMail("dev@example.com", "ceo@example.net"))
                .isInstanceOf(AbortException.class)
                .hasMessageStartingWith("relayMail: from: 'ceo@example.net' is outside the allowed sender domains (example.com)");
        assertThatThrownBy(() -> relayMail("dev@example.com", "ci@mail.example.com")).isInstanceOf(AbortException.class);

        configuration.setAllowedSenderDomains("*.example.com, example.org");
        assertThat(received(relayMail("dev@example.com", "ci@mail.example.com"))).contains("From: ci@mail.example.com");
        assertThat(received(relayMail("dev@example.com", "ci@example.org"))).contains("From: ci@example.org");
        assertThatThrownBy(() -> relayMail("dev@example.com", "ci@example.com"))
                .as("a list replaces the page's domain").isInstanceOf(AbortException.class)
                .hasMessageContaining("outside the allowed sender domains (*.example.com, example.org)");
    }

    @Test
    void aMailToMoreRecipientsThanTheCapIsRefusedByTheStepAndTheNotifier() throws Exception {
        long before = submitted();
        assertThatThrownBy(() -> relayMail(addresses(51, "example.com"), ""))
                .isInstanceOf(AbortException.class)
                .hasMessage("relayMail: to: 51 recipients, more than the 50 a job may send one mail to. Send to a mailing "
                        + "list address instead, or ask an administrator to raise 'Most recipients per mail' under "
                        + "Manage Jenkins » Outbound Email Relay");
        configuration.setMaxRecipientsPerMail(3);
        assertThat(notify(addresses(4, "example.com")))
                .isEqualTo("Outbound relay: mail not sent: recipients: 4 recipients, more than the 3 a job may send one "
                        + "mail to. Send to a mailing list address instead, or ask an administrator to raise 'Most "
                        + "recipients per mail' under Manage Jenkins » Outbound Email Relay" + System.lineSeparator());
        assertThat(submitted()).as("nothing was queued").isEqualTo(before);

        assertThat(received(relayMail(addresses(3, "example.com"), ""))).contains("dev2@example.com");
    }

    @Test
    void recipientsOutsideTheAllowedDomainsAreRefusedByTheStepAndTheNotifier() throws Exception {
        configuration.setAllowedRecipientDomains("example.com");
        long before = submitted();
        assertThatThrownBy(() -> relayMail("dev@example.com, victim@example.net", ""))
                .isInstanceOf(AbortException.class)
                .hasMessage("relayMail: to: 'victim@example.net' is outside the allowed domains (example.com). Use an "
                        + "address at one of them, or ask an administrator to add its domain to 'Allowed recipient "
                        + "domains' under Manage Jenkins » Outbound Email Relay");
        assertThat(notify("team@sub.example.com")).startsWith("Outbound relay: mail not sent: recipients: "
                + "'team@sub.example.com' is outside the allowed domains (example.com)");
        assertThat(submitted()).as("nothing was queued").isEqualTo(before);

        assertThat(notify("team@example.com")).contains("Outbound relay: queued <");
    }

    @Test
    void everyJobMailNamesItsJobAndRunSoAbuseCanBeTraced() throws Exception {
        String step = received(relayMail("dev@example.com", ""));
        assertThat(step).contains("X-Jenkins-Job: team/deploy #7",
                "X-Jenkins-Build-URL: http://jenkins.example.com/job/team/job/deploy/7/");

        int before = loopback.relay.received().size();
        assertThat(notify("team@example.com")).contains("Outbound relay: queued <");
        String notified = loopback.relay.awaitMessages(before + 1, Duration.ofSeconds(20)).get(before).content();
        assertThat(notified).contains("X-Jenkins-Job: team/app #2", "X-Jenkins-Build-URL: http://jenkins.example.com/job/team/job/app/2/");
    }

    @Test
    void thePagesRecipientLimitsThrottleEveryRelay() {
        configuration.setRecipientsPerMinute(300);
        configuration.setRecipientsPerHour(9_000);
        assertThat(configuration.deliveryStatus().status().metrics().relays()).extracting(QueueMetrics.RelayHealth::throttle)
                .allSatisfy(t -> {
                    assertThat(t.recipientsPerMinute()).isEqualTo(300);
                    assertThat(t.recipientsPerHour()).isEqualTo(9_000);
                });
        configuration.setRecipientsPerHour(0);
    }
}
