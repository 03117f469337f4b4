package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hudson.AbortException;
import hudson.Launcher;
import hudson.model.Result;
import io.github.outboundrelay.jenkins.JobsForTests.BuildLogForTests;
import io.github.outboundrelay.jenkins.JobsForTests.FreestyleBuildForTests;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline step and the post-build notifier submit to the durable queue (spooled under JENKINS_HOME) and the
 * mail reaches the relay, after failing over from a relay that is down.
 */
class JobDeliveryTest {
    static LoopbackRelayForTests loopback;
    static RecordingJenkinsForTests jenkins;
    static RelayConfiguration configuration;
    static File home;

    @BeforeAll
    static void start(@TempDir File jenkinsHome) throws Exception {
        home = jenkinsHome;
        loopback = new LoopbackRelayForTests();
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of("relay-login",
                InMemoryCredentialsForTests.usernamePassword("relay-login", LoopbackRelayForTests.USER, LoopbackRelayForTests.PASSWORD))));
        configuration = new RelayConfiguration();
        jenkins.register(configuration);
        RelayEndpoint unreachable = new RelayEndpoint("127.0.0.1");
        unreachable.setPort("1"); // Nothing listens on port 1: the first relay fails over to the second.
        unreachable.setAuthMode("NONE");
        RelayEndpoint relay = new RelayEndpoint("127.0.0.1");
        relay.setPort(Integer.toString(loopback.relay.port()));
        relay.setCredentialsId("relay-login");
        configuration.setFromAddress("ci@example.com");
        configuration.setTrustPem(loopback.certificate.pem());
        configuration.setConnectTimeout(5);
        configuration.setReadTimeout(5);
        configuration.setRelays(List.of(unreachable, relay));
    }

    @AfterAll
    static void stop() throws Exception {
        configuration.mailer().close();
        jenkins.close();
        loopback.close();
    }

    @Test
    void relayMailStepQueuesPrintsTheIdAndTheMailArrives() throws Exception {
        int before = loopback.relay.received().size();
        RelayMailStep step = new RelayMailStep("dev@example.com, ops@example.com", "Deployed #7", "<p>All green</p>");
        step.setMimeType("text/html");
        BuildLogForTests log = new BuildLogForTests();
        String id = ((RelayMailStep.Execution) step.start(JobsForTests.contextWith(log))).run();
        assertThat(log.text()).contains("relayMail: queued " + id + " for 2 recipient(s)");
        var mails = loopback.relay.awaitMessages(before + 1, Duration.ofSeconds(20));
        var mail = mails.get(before);
        assertThat(mail.recipients()).containsExactly("dev@example.com", "ops@example.com");
        assertThat(mail.content()).contains("Message-ID: " + id, "Subject: Deployed #7", "text/html", "All green");
        var metrics = configuration.deliveryStatus().status().metrics();
        assertThat(metrics.failed()).isGreaterThanOrEqualTo(1); // The unreachable first relay, then failover.
        assertThat(metrics.relays()).extracting(r -> r.relay()).containsExactly("127.0.0.1:1", "127.0.0.1:" + loopback.relay.port());
    }

    @Test
    void relayMailStepRefusesABadAddressWithOneCleanLine() {
        RelayMailStep step = new RelayMailStep("not an address", "x", "y");
        assertThatThrownBy(() -> ((RelayMailStep.Execution) step.start(JobsForTests.contextWith(new BuildLogForTests()))).run())
                .isInstanceOf(AbortException.class).hasMessageStartingWith("relayMail: to: 'not an address' is not a valid address");
    }

    @Test
    void notifierMailsAFailureAndStaysQuietOnAnOrdinarySuccess() throws Exception {
        int before = loopback.relay.received().size();
        RelayMailNotifier notifier = new RelayMailNotifier("team@example.com");
        BuildLogForTests log = new BuildLogForTests();
        FreestyleBuildForTests failed = new FreestyleBuildForTests(Result.FAILURE, new FreestyleBuildForTests(Result.SUCCESS, null));
        assertThat(notifier.perform(failed, (Launcher) null, log)).isTrue();
        assertThat(log.text()).contains("Outbound relay: queued <", "(build failed) for 1 recipient(s)");
        var mail = loopback.relay.awaitMessages(before + 1, Duration.ofSeconds(20)).get(before);
        assertThat(mail.recipients()).containsExactly("team@example.com");
        assertThat(mail.content()).contains("Subject: Build failed: app #2", "http://jenkins.example.com/job/team/job/app/2/");
        assertThat(RelayMailer.spoolDirectory(home).resolve("queue")).isDirectory();

        BuildLogForTests quiet = new BuildLogForTests();
        notifier.perform(new FreestyleBuildForTests(Result.SUCCESS, new FreestyleBuildForTests(Result.SUCCESS, null)), null, quiet);
        assertThat(quiet.text()).isEmpty();
    }

    @Test
    void notifierDecidesByResultAndPreviousResult() {
        RelayMailNotifier n = new RelayMailNotifier("team@example.com");
        assertThat(n.headline(Result.FAILURE, Result.SUCCESS)).isEqualTo("Build failed");
        assertThat(n.headline(Result.UNSTABLE, Result.SUCCESS)).isEqualTo("Build is unstable");
        assertThat(n.headline(Result.SUCCESS, Result.FAILURE)).isEqualTo("Build is back to normal");
        assertThat(n.headline(Result.SUCCESS, Result.SUCCESS)).isNull();
        assertThat(n.headline(Result.ABORTED, Result.SUCCESS)).isNull();
        n.setOnUnstable(false);
        assertThat(n.headline(Result.UNSTABLE, Result.SUCCESS)).isNull();
    }

    @Test
    void spoolLivesUnderJenkinsHome() {
        File home = new File("/var/jenkins_home");
        assertThat(RelayMailer.spoolDirectory(home)).isEqualTo(home.toPath().resolve("outbound-relay/spool"));
    }
}
