package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.thoughtworks.xstream.XStream;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.jenkins.JobsForTests.BuildLogForTests;
import io.github.outboundrelay.testing.DovecotServer;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.PostfixServer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.sf.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.access.AccessDeniedException;

/**
 * The Jenkins page's bounce handling with real parts: a job mails an unknown user through a real Postfix, which
 * bounces it into the From address's Maildir; a real Dovecot serves that over IMAPS; "Poll now" on the page reads
 * it and the address appears on the page's suppression list; the job's next mail to it is not sent (dead letter
 * RECIPIENT_SUPPRESSED); a non-administrator can neither poll nor remove; once an administrator removes it, mail to
 * it goes out again. Only the Jenkins API is a stand-in.
 */
class BouncePageEndToEndTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String GHOST = "ghost@" + PostfixServer.BOUNCING_DOMAIN;
    static final String MAILBOX_LOGIN = "bounce-mailbox";

    @TempDir
    Path dir;
    @TempDir
    File home;
    DovecotServer dovecot;
    PostfixServer postfix;
    RecordingJenkinsForTests jenkins;
    RelayConfiguration configuration;
    final RelayManagementLink page = new RelayManagementLink();

    @BeforeEach
    void start() throws Exception {
        assumeTrue(PostfixServer.installed(), PostfixServer.NOT_INSTALLED);
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        dovecot = DovecotServer.start(dir); // The mail processes run as nobody: a directory they can enter.
        postfix = PostfixServer.start(dir.resolve("postfix"), dovecot.mailDirectory(), List.of("bounces", "reader"));
        jenkins = RecordingJenkinsForTests.administrator(home, credentials());
        configuration = new RelayConfiguration();
        jenkins.register(configuration);
        configuration.configure(SettingsSaveTest.post(form()), new JSONObject());
    }

    @AfterEach
    void stop() throws Exception {
        if (configuration != null) {
            configuration.stopQueue();
        }
        if (jenkins != null) {
            jenkins.close();
        }
        if (postfix != null) {
            postfix.close();
        }
        if (dovecot != null) {
            dovecot.close();
        }
    }

    static InMemoryCredentialsForTests credentials() {
        return new InMemoryCredentialsForTests(Map.of(MAILBOX_LOGIN,
                InMemoryCredentialsForTests.usernamePassword(MAILBOX_LOGIN, "bounces", DovecotServer.PASSWORD)));
    }

    /** The page as an administrator fills it in: Postfix on loopback as the relay, Dovecot as the bounce mailbox. */
    Map<String, Object> form() {
        Map<String, Object> form = SettingsSaveTest.validForm();
        form.put("fromAddress", "bounces@" + PostfixServer.MAILBOX_DOMAIN); // the envelope sender: bounces come back here
        form.put("trustPem", dovecot.certificate.pem());
        form.put("connectTimeout", "5");
        form.put("readTimeout", "10");
        form.put("relays", Map.of("host", "127.0.0.1", "port", Integer.toString(postfix.port), "tlsMode", "NONE",
                "authMode", "NONE"));
        form.put("bounceHost", "127.0.0.1");
        form.put("bouncePort", Integer.toString(dovecot.imapsPort));
        form.put("bounceTlsMode", "IMPLICIT_TLS");
        form.put("bounceCredentialsId", MAILBOX_LOGIN);
        form.put("bounceFolder", "INBOX");
        form.put("bounceDisposition", "FLAG");
        form.put("bounceMoveTo", "");
        form.put("bouncePollMinutes", "60"); // one poll when the queue opens; the rest is "Poll now"
        form.put("hardBounceWarningPercent", "5");
        form.put("hardBounceCriticalPercent", "10");
        form.put("complaintWarningPercent", "0.1");
        form.put("complaintCriticalPercent", "0.5");
        form.put("softBounceLimit", "5");
        return form;
    }

    void jobMails(String to, String subject) throws Exception {
        RelayMailStep step = new RelayMailStep(to, subject, "Your build is ready.");
        ((RelayMailStep.Execution) step.start(JobsForTests.contextWith(new BuildLogForTests()))).run();
    }

    long bounced() {
        try {
            return postfix.deliveries(GHOST, "bounced");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<DeadLetter> deadLetters() {
        return configuration.deliveryStatus().status().deadLetters();
    }

    @Test
    void aBouncedAddressIsListedOnThePageNotMailedUntilAnAdministratorRemovesIt() throws Exception {
        jobMails(GHOST, "Build #1 failed");
        Poll.until("Postfix bounced the job's mail", WAIT, () -> bounced() == 1);

        Suppression listed = Poll.untilPresent("the page lists the address after Poll now", WAIT, () -> {
            page.doPollBounces();
            return configuration.bounceView("ghost").suppressions().stream().findFirst();
        });
        assertThat(listed.address()).isEqualTo(GHOST);
        assertThat(listed.suppressed()).isTrue();
        assertThat(listed.reason()).isEqualTo(BounceKind.HARD);
        assertThat(listed.status()).isEqualTo("5.1.1");

        BounceView view = configuration.bounceView("");
        assertThat(view.problem()).isNull();
        assertThat(view.mailbox().failed()).isFalse();
        assertThat(view.mailbox().hard()).isEqualTo(1);
        assertThat(view.suppressedCount()).isEqualTo(1);
        assertThat(view.rates()).first().satisfies(r -> {
            assertThat(r.window()).isEqualTo("24 h");
            assertThat(r.sentRecipients()).isEqualTo(1);
            assertThat(r.hardBounceRate()).isEqualTo("100.00 %");
        });
        assertThat(view.warnings()).isNotEmpty();
        assertThat(configuration.bounceView("nobody-else").suppressions()).as("the search narrows the list").isEmpty();
        // What the page renders and what Jenkins saves hold the mailbox's credential id, never its password.
        assertThat(view.toString() + configuration.getBounceCredentialsId()).doesNotContain(DovecotServer.PASSWORD);
        String xml = new XStream().toXML(configuration);
        assertThat(xml).contains("<bounceCredentialsId>" + MAILBOX_LOGIN + "</bounceCredentialsId>")
                .doesNotContain(DovecotServer.PASSWORD);
        Path list = RelayBounces.directory(home);
        assertThat(Files.getPosixFilePermissions(list)).isEqualTo(PosixFilePermissions.fromString("rwx------"));

        jobMails(GHOST, "Build #2 failed");
        DeadLetter stopped = Poll.untilPresent("the next mail becomes a dead letter", WAIT,
                () -> deadLetters().stream().findFirst());
        assertThat(stopped.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED);
        assertThat(bounced()).as("Postfix never saw the second mail").isEqualTo(1);

        // A user without ADMINISTER can neither poll nor remove, and the list stays as it was.
        jenkins.close();
        try (RecordingJenkinsForTests visitor = RecordingJenkinsForTests.anonymous(home, credentials())) {
            visitor.register(configuration);
            assertThatThrownBy(() -> page.doRemoveSuppression(GHOST)).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(page::doPollBounces).isInstanceOf(AccessDeniedException.class);
            assertThat(visitor.events).containsExactly("checkPermission hudson.model.Hudson.Administer denied",
                    "checkPermission hudson.model.Hudson.Administer denied");
        }
        jenkins = RecordingJenkinsForTests.administrator(home, credentials());
        jenkins.register(configuration);
        assertThat(configuration.suppression(GHOST)).hasValueSatisfying(s -> assertThat(s.suppressed()).isTrue());

        page.doRemoveSuppression(GHOST);
        assertThat(configuration.bounceView("").suppressions()).isEmpty();
        jobMails(GHOST, "Build #3 failed");
        Poll.until("the mail goes to Postfix again once removed", WAIT, () -> bounced() == 2);
        assertThat(deadLetters()).as("no new dead letter").hasSize(1);
    }

    @Test
    void aWrongMailboxPasswordShowsTheFailureWithItsRemedyAndADeletedCredentialStopsOnlyTheReading() throws Exception {
        jenkins.close();
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of(MAILBOX_LOGIN,
                InMemoryCredentialsForTests.usernamePassword(MAILBOX_LOGIN, "bounces", "not-the-password"))));
        jenkins.register(configuration);
        configuration.configure(SettingsSaveTest.post(form()), new JSONObject()); // reopened with the wrong password

        page.doPollBounces();
        BounceView view = configuration.bounceView("");
        assertThat(view.mailbox().failed()).isTrue();
        assertThat(view.mailbox().failure()).isEqualTo("AUTH_FAILED");
        assertThat(view.mailbox().remedy()).contains("check the mailbox user and password");
        assertThat(view.mailbox().lastSuccess()).isEqualTo("never");
        assertThat(view.toString()).doesNotContain("not-the-password");

        // The credential is deleted after the save: mail still goes out, and the page says why nothing is read.
        jenkins.close();
        jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of()));
        jenkins.register(configuration);
        configuration.setBouncePollMinutes(30); // a setter (as configuration as code uses) reopens the queue
        BounceView without = configuration.bounceView("");
        assertThat(without.mailbox()).isNull();
        assertThat(without.problem()).contains("The bounce mailbox is not read", "bounceCredentialsId", "does not exist");
        jobMails("reader@" + PostfixServer.MAILBOX_DOMAIN, "Build #4 passed");
        Poll.until("the mail reaches Postfix", WAIT, () -> configuration.deliveryStatus().status().metrics().sent() == 1);
    }

    @Test
    void withVerpTheBounceIsMatchedByTheAddressItCameBackTo() throws Exception {
        Map<String, Object> form = form();
        form.put("bounceVerp", true);
        configuration.configure(SettingsSaveTest.post(form), new JSONObject());

        jobMails(GHOST, "Build #5 failed");
        Poll.until("Postfix bounced the job's mail", WAIT, () -> bounced() == 1);
        Suppression listed = Poll.untilPresent("the page lists the address after Poll now", WAIT, () -> {
            page.doPollBounces();
            return configuration.suppression(GHOST);
        });
        assertThat(listed.reason()).isEqualTo(BounceKind.HARD);
        assertThat(postfix.log()).as("the envelope sender named the recipient")
                .contains("bounces+ghost=" + PostfixServer.BOUNCING_DOMAIN + "@" + PostfixServer.MAILBOX_DOMAIN);
    }
}
