package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hudson.AbortException;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.jenkins.JobsForTests.BuildLogForTests;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin's mail goes through relay-common's durable queue, spooled under JENKINS_HOME: a relay that is down
 * does not hold up the job, a save or a restart loses nothing, and what the relay refuses becomes a dead letter on
 * disk that the page shows and an administrator retries or purges. Real relay on loopback; only Jenkins is a
 * stand-in ({@link RecordingJenkinsForTests}).
 */
class DurableQueueTest {
    /** Short cool-downs so that a relay coming back is tried within a second, not the production 10 s. */
    static final RelayMailer.Timings FAST = new RelayMailer.Timings(Duration.ofMillis(100),
            Duration.ofMillis(500), Duration.ofSeconds(5));
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    File home;
    final SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
    EmbeddedRelay relay;
    RecordingJenkinsForTests jenkins;
    RelayConfiguration configuration;

    @BeforeEach
    void startJenkins() throws Exception {
        relay = EmbeddedRelay.builder(certificate.serverContext(), LoopbackRelayForTests.USER, LoopbackRelayForTests.PASSWORD)
                .down();
        jenkins = jenkinsOn(home);
        configuration = configured(jenkins);
    }

    @AfterEach
    void stopJenkins() throws Exception {
        MailQueueLifecycle.closeQueue();
        jenkins.close();
        relay.close();
    }

    RecordingJenkinsForTests jenkinsOn(File root) throws Exception {
        return RecordingJenkinsForTests.administrator(root, new InMemoryCredentialsForTests(Map.of("relay-login",
                InMemoryCredentialsForTests.usernamePassword("relay-login", LoopbackRelayForTests.USER,
                        LoopbackRelayForTests.PASSWORD))));
    }

    /** The page as an administrator would fill it in, for the switchable relay. */
    RelayConfiguration configured(RecordingJenkinsForTests on) throws Exception {
        RelayConfiguration c = new RelayConfiguration();
        on.register(c);
        c.timings(FAST);
        RelayEndpoint endpoint = new RelayEndpoint("127.0.0.1");
        endpoint.setPort(Integer.toString(relay.port()));
        endpoint.setCredentialsId("relay-login");
        c.setFromAddress("ci@example.com");
        c.setTrustPem(certificate.pem());
        c.setConnectTimeout(5);
        c.setReadTimeout(5);
        c.setRelays(List.of(endpoint));
        return c;
    }

    String relayMail(String to, String subject) throws Exception {
        return relayMail(to, subject, "body of " + subject);
    }

    String relayMail(String to, String subject, String body) throws Exception {
        BuildLogForTests log = new BuildLogForTests();
        String id = ((RelayMailStep.Execution) new RelayMailStep(to, subject, body)
                .start(JobsForTests.contextWith(log))).run();
        assertThat(log.text()).contains("relayMail: queued " + id);
        return id;
    }

    RelayMailer.Status status() {
        RelayConfiguration.DeliveryStatus view = configuration.deliveryStatus();
        assertThat(view.problem()).isNull();
        return view.status();
    }

    List<DeliveryEvent> events(DeliveryEvent.Outcome outcome) {
        return status().recentEvents().stream().filter(e -> e.outcome() == outcome).toList();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Poll.until(what, WAIT, condition);
    }

    @Test
    void theStepReturnsAnIdWhileTheRelayIsDownAndTheMailArrivesWhenItIsBack() throws Exception {
        long start = System.nanoTime();
        String id = relayMail("dev@example.com", "Deployed #8");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(id).startsWith("<").endsWith(">");

        await("the queue tried the relay and deferred the mail", () -> !events(DeliveryEvent.Outcome.DEFERRED).isEmpty());
        DeliveryEvent deferred = events(DeliveryEvent.Outcome.DEFERRED).get(0);
        assertThat(deferred.messageId()).isEqualTo(id);
        assertThat(deferred.category()).isEqualTo(FailureCategory.CONNECT_REFUSED);
        assertThat(deferred.recipients()).containsExactly("d***@example.com"); // Masked: the page's default.
        QueueMetrics waiting = status().metrics();
        assertThat(waiting.queueDepth()).isEqualTo(1);
        assertThat(waiting.sent()).isZero();
        assertThat(waiting.failuresByCategory()).containsKey(FailureCategory.CONNECT_REFUSED);
        assertThat(relay.received()).isEmpty();

        relay.up();
        EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(1, WAIT).get(0);
        assertThat(mail.recipients()).containsExactly("dev@example.com");
        assertThat(mail.content()).contains("Message-ID: " + id, "Subject: Deployed #8");
        await("the queue counted the mail sent", () -> status().metrics().sent() == 1);
        QueueMetrics after = status().metrics();
        assertThat(after.queueDepth()).isZero();
        assertThat(after.deferred()).isGreaterThanOrEqualTo(1);
        assertThat(after.retried()).isGreaterThanOrEqualTo(1);
        assertThat(after.relays()).singleElement().satisfies(r -> {
            assertThat(r.relay()).isEqualTo("127.0.0.1:" + relay.port());
            assertThat(r.status()).isEqualTo(QueueMetrics.Status.HEALTHY);
            assertThat(r.sent()).isEqualTo(1);
        });
    }

    @Test
    void savingTheSettingsReplacesTheQueueOnTheSameSpoolAndLosesNothing() throws Exception {
        String first = relayMail("a@example.com", "first");
        String second = relayMail("b@example.com", "second");
        await("both mails were tried and deferred", () -> events(DeliveryEvent.Outcome.DEFERRED).size() >= 2);

        configuration.setReadTimeout(6); // A save: the old queue closes, a new one opens the same spool.
        RelayMailer mailer = configuration.mailer();
        assertThat(mailer.isOpen()).as("a new queue is open at once, without waiting for the next submit").isTrue();
        assertThat(status().metrics().queueDepth()).isEqualTo(2);
        assertThat(status().recentEvents()).as("the delivery log outlives the switch")
                .anyMatch(e -> e.outcome() == DeliveryEvent.Outcome.DEFERRED && e.messageId().equals(first));

        relay.up();
        List<EmbeddedRelay.ReceivedMail> mails = relay.awaitMessages(2, WAIT);
        assertThat(mails).extracting(EmbeddedRelay.ReceivedMail::content)
                .anyMatch(c -> c.contains("Message-ID: " + first)).anyMatch(c -> c.contains("Message-ID: " + second));
    }

    @Test
    void savingTheSettingsWhileASendWaitsOnASlowRelayLosesNothingAndSendsNothingTwice() throws Exception {
        // Jenkins drains 10 s on a save while the read timeout is 30 s; here 300 ms against the page's 5 s.
        Duration drain = Duration.ofMillis(300);
        configuration.timings(new RelayMailer.Timings(FAST.relayCooldown(), FAST.maxRelayCooldown(), drain));
        relay.holding();
        String held = relayMail("slow@example.com", "held by the slow relay");
        await("the relay holds the mail's final reply", () -> relay.held() == 1);

        CompletableFuture<Void> save = CompletableFuture.runAsync(() -> configuration.setReadTimeout(6));
        Thread.sleep(drain.toMillis() * 3); // past the drain: the send still waits for its "250"
        assertThat(save).as("the save waits until the old queue let go of the spool").isNotDone();
        CompletableFuture<String> during = CompletableFuture.supplyAsync(() -> {
            try {
                return relayMail("during@example.com", "submitted during the save");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        relay.up();
        save.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        String second = during.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        relay.awaitMessages(2, WAIT);
        await("the new queue sent everything", () -> status().metrics().queueDepth() == 0);
        assertThat(relay.received()).extracting(EmbeddedRelay.ReceivedMail::content).hasSize(2)
                .anyMatch(c -> c.contains("Message-ID: " + held)).anyMatch(c -> c.contains("Message-ID: " + second));
        assertThat(status().metrics().deadLetters()).isZero();
    }

    @Test
    void theRatesKeepTheCountOfAMailTheOldQueueFinishesWhileASaveWaitsForIt() throws Exception {
        Duration drain = Duration.ofMillis(300);
        configuration.timings(new RelayMailer.Timings(FAST.relayCooldown(), FAST.maxRelayCooldown(), drain));
        relay.up();
        relayMail("before@example.com", "sent before the save");
        await("the first mail is counted", () -> sentRecipientsToday() == 1);
        relay.holding();
        relayMail("slow@example.com", "held by the slow relay");
        await("the relay holds the mail's final reply", () -> relay.held() == 1);

        CompletableFuture<Void> save = CompletableFuture.runAsync(() -> configuration.setReadTimeout(6));
        Thread.sleep(drain.toMillis() * 3); // past the drain: the send still waits for its "250"
        assertThat(save).as("the save waits until the old queue let go of the spool").isNotDone();
        relay.up(); // the "250": the old queue's sender counts the mail, then lets go
        save.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(sentRecipientsToday()).as("the new queue's rates hold both mails").isEqualTo(2);
    }

    long sentRecipientsToday() {
        return configuration.mailer().metrics().bounces().last24Hours().sentRecipients();
    }

    @Test
    void aRestartDeliversWhatWasQueuedBeforeIt() throws Exception {
        String id = relayMail("ops@example.com", "queued before the restart");
        await("the mail was tried once", () -> !events(DeliveryEvent.Outcome.DEFERRED).isEmpty());

        MailQueueLifecycle.closeQueue(); // Jenkins stops: the @Terminator.
        assertThatThrownBy(() -> relayMail("late@example.com", "too late")).isInstanceOf(AbortException.class)
                .hasMessage("relayMail: Jenkins is shutting down: the outbound mail queue is closed and takes no more mail");
        try (Stream<Path> spooled = Files.list(RelayMailer.spoolDirectory(home).resolve("queue"))) {
            assertThat(spooled.filter(p -> p.toString().endsWith(".batch"))).isNotEmpty();
        }
        jenkins.close();

        relay.up();
        jenkins = jenkinsOn(home); // The same JENKINS_HOME, a new Jenkins and a new page object, as after a restart.
        configuration = configured(jenkins);
        assertThat(configuration.mailer().isOpen()).isFalse();
        MailQueueLifecycle.openQueue(); // Jenkins has started: the @Initializer, with no job submitting anything.

        EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(1, WAIT).get(0);
        assertThat(mail.content()).contains("Message-ID: " + id, "Subject: queued before the restart");
        assertThat(relay.received()).hasSize(1); // The refused late mail was never queued.
    }

    @Test
    void aRefusedRecipientBecomesAPersistentDeadLetterThatAnAdministratorRetriesOrPurges() throws Exception {
        relay.up();
        relay.refuse("nobody@example.com");
        String id = relayMail("nobody@example.com", "Build failed");
        // The event is recorded last (after the spool and the counters), so once it is there everything below is.
        await("the dead-letter event", () -> !events(DeliveryEvent.Outcome.DEAD_LETTERED).isEmpty());

        DeadLetter letter = status().deadLetters().get(0);
        assertThat(letter.messageId()).isEqualTo(id);
        assertThat(letter.reason()).isEqualTo(DeadLetter.Reason.REJECTED);
        assertThat(letter.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
        assertThat(letter.recipients()).containsExactly("n***@example.com");
        assertThat(letter.reply()).contains("550").doesNotContain("nobody@");
        assertThat(letter.remedy()).isNotBlank();
        assertThat(letter.subject()).isEqualTo("Build failed");
        assertThat(status().metrics().deadLettered()).isEqualTo(1);
        assertThat(events(DeliveryEvent.Outcome.DEAD_LETTERED)).extracting(DeliveryEvent::messageId).containsExactly(id);

        configuration.setConnectTimeout(6); // A new queue on the same spool: the dead letter is on disk, not in memory.
        assertThat(status().metrics().deadLettered()).as("counters restart with the queue").isZero();
        assertThat(status().metrics().deadLetters()).isEqualTo(1);
        assertThat(status().deadLetters()).extracting(DeadLetter::id).containsExactly(letter.id());

        RelayManagementLink page = new RelayManagementLink();
        jenkins.events.clear();
        page.doRetryDeadLetter("../../secrets/master.key"); // Not a spool id: nothing happens, no error page.
        assertThat(status().metrics().deadLetters()).isEqualTo(1);

        relay.accept("nobody@example.com"); // The administrator fixed the cause, then retries.
        jenkins.events.clear();
        page.doRetryDeadLetter(letter.id());
        assertThat(jenkins.events).containsExactly("checkPermission hudson.model.Hudson.Administer granted");
        assertThat(relay.awaitMessages(1, WAIT).get(0).content()).contains("Message-ID: " + id);
        assertThat(status().deadLetters()).isEmpty();
        assertThat(events(DeliveryEvent.Outcome.REQUEUED)).extracting(DeliveryEvent::messageId).containsExactly(id);

        relay.refuse("nobody@example.com");
        String again = relayMail("nobody@example.com", "again");
        await("a second dead letter", () -> status().deadLetters().size() == 1);
        page.doPurgeDeadLetter(status().deadLetters().get(0).id());
        assertThat(status().deadLetters()).isEmpty();
        assertThat(events(DeliveryEvent.Outcome.PURGED)).extracting(DeliveryEvent::messageId).containsExactly(again);

        relayMail("nobody@example.com", "third");
        relayMail("nobody@example.com", "fourth");
        await("two more dead letters", () -> status().deadLetters().size() == 2);
        page.doPurgeDeadLetters();
        assertThat(status().metrics().deadLetters()).isZero();
        try (Stream<Path> dead = Files.list(RelayMailer.spoolDirectory(home).resolve("dead"))) {
            assertThat(dead).isEmpty();
        }
    }

    @Test
    void queuedMailIsEncryptedUnderJenkinsHomeWithAKeyKeptBesideJenkinsSecrets() throws Exception {
        String link = "https://ci.example.com/approve?token=" + java.util.UUID.randomUUID();
        String id = relayMail("dev@example.com", "Approve deployment", "Approve here: " + link);
        await("the mail was tried and deferred", () -> !events(DeliveryEvent.Outcome.DEFERRED).isEmpty());

        Path spool = RelayMailer.spoolDirectory(home);
        assertThat(filesContaining(spool, link)).as("no file of the spool holds the link").isEmpty();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)))
                .isEqualTo("rwx------");
        Path key = home.toPath().resolve("secrets").resolve("io.github.outboundrelay.jenkins.SpoolKey");
        assertThat(key).exists();
        assertThat(Files.size(key)).isEqualTo(32);

        relay.up();
        EmbeddedRelay.ReceivedMail mail = relay.awaitMessages(1, WAIT).get(0);
        assertThat(mail.content()).contains("Message-ID: " + id, link);
    }

    @Test
    void aDeadLetterKeepsItsBodyOnlyForTheHoursThePageSaysThenCannotBeRetried() throws Exception {
        configuration.setDeadLetterBodyHours(0);
        relay.up();
        relay.refuse("nobody@example.com");
        String link = "https://ci.example.com/approve?token=" + java.util.UUID.randomUUID();
        String id = relayMail("nobody@example.com", "Approve deployment", "Approve here: " + link);
        // The event is recorded last (after the spool and the counters), so once it is there everything below is.
        await("the dead-letter event", () -> !events(DeliveryEvent.Outcome.DEAD_LETTERED).isEmpty());
        DeadLetter letter = status().deadLetters().get(0);

        Path dead = RelayMailer.spoolDirectory(home).resolve("dead").resolve(letter.id() + ".msg");
        await("its body is deleted", () -> storedBodyLength(dead) == 0); // docs: SpoolEntryCodec, bytes 8-11
        assertThat(status().deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.messageId()).isEqualTo(id);
            assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
            assertThat(d.remedy()).isNotBlank();
        });

        relay.accept("nobody@example.com");
        assertThatThrownBy(() -> configuration.mailer().retryDeadLetter(letter.id()))
                .isInstanceOf(io.github.outboundrelay.common.InvalidInputException.class)
                .hasMessageContaining("cannot be sent again: its body was deleted after the retention");
        new RelayManagementLink().doRetryDeadLetter(letter.id()); // The page logs that line; nothing is sent.
        assertThat(status().deadLetters()).extracting(DeadLetter::id).containsExactly(letter.id());
        assertThat(events(DeliveryEvent.Outcome.REQUEUED)).isEmpty();
        assertThat(relay.received()).isEmpty();
        assertThat(configuration.getDeadLetterBodyHours()).isZero();
    }

    static int storedBodyLength(Path entryFile) {
        try {
            return java.nio.ByteBuffer.wrap(Files.readAllBytes(entryFile)).getInt(8);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The spool's files whose bytes contain {@code text}: every byte of every file, spare and temporary ones too. */
    static List<Path> filesContaining(Path dir, String text) {
        byte[] needle = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).filter(p -> {
                try {
                    byte[] bytes = Files.readAllBytes(p);
                    for (int i = 0; i + needle.length <= bytes.length; i++) {
                        if (java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                            return true;
                        }
                    }
                    return false;
                } catch (java.io.IOException e) {
                    return false; // renamed or deleted while we looked
                }
            }).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void throttleRetryLifetimeAndMaskingComeFromThePage() throws Exception {
        RelayEndpoint backup = new RelayEndpoint("127.0.0.2");
        backup.setPort(Integer.toString(relay.port()));
        backup.setAuthMode("NONE");
        configuration.setRelays(List.of(configuration.getRelays().get(0), backup));
        configuration.setMessagesPerMinute(30);
        configuration.setMessagesPerHour(1_000);
        configuration.setRetryHours(5);
        configuration.setMaskRecipients(false);

        assertThat(configuration.retrySchedule().lifetime()).isEqualTo(Duration.ofHours(5));
        assertThat(status().metrics().relays()).extracting(QueueMetrics.RelayHealth::relay)
                .containsExactly("127.0.0.1:" + relay.port(), "127.0.0.2:" + relay.port()); // Failover order.
        assertThat(status().metrics().relays()).allSatisfy(r -> {
            assertThat(r.throttle().perMinute()).isEqualTo(30);
            assertThat(r.throttle().perHour()).isEqualTo(1_000);
        });

        relayMail("dev.team@example.com", "unmasked");
        await("the mail was deferred on both relays", () -> events(DeliveryEvent.Outcome.DEFERRED).size() >= 2);
        assertThat(events(DeliveryEvent.Outcome.DEFERRED)).allSatisfy(e ->
                assertThat(e.recipients()).containsExactly("dev.team@example.com"));
    }

    @Test
    void withoutARelayThePageSaysSoAndTheStepStopsWithOneLine() throws Exception {
        configuration.setRelays(List.of());
        assertThat(configuration.deliveryStatus().status()).isNull();
        assertThat(configuration.deliveryStatus().problem())
                .isEqualTo("No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
        MailQueueLifecycle.openQueue(); // Nothing to open, and no failure at Jenkins's start.
        assertThatThrownBy(() -> relayMail("dev@example.com", "x")).isInstanceOf(AbortException.class)
                .hasMessage("relayMail: No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
    }

    @Test
    void jenkinsCanCallTheLifecycleMethods() throws Exception {
        // TaskMethodFinder invokes them by reflection without setAccessible: public class, public static, no arguments.
        assertThat(java.lang.reflect.Modifier.isPublic(MailQueueLifecycle.class.getModifiers())).isTrue();
        for (String name : List.of("openQueue", "closeQueue")) {
            java.lang.reflect.Method m = MailQueueLifecycle.class.getMethod(name);
            assertThat(java.lang.reflect.Modifier.isStatic(m.getModifiers())).as(name).isTrue();
        }
        hudson.init.Initializer start = MailQueueLifecycle.class.getMethod("openQueue").getAnnotation(hudson.init.Initializer.class);
        assertThat(start.after()).isEqualTo(hudson.init.InitMilestone.JOB_CONFIG_ADAPTED);
        assertThat(start.fatal()).as("a mail queue that cannot start must not stop Jenkins from starting").isFalse();
        assertThat(MailQueueLifecycle.class.getMethod("closeQueue").isAnnotationPresent(hudson.init.Terminator.class)).isTrue();
    }
}
