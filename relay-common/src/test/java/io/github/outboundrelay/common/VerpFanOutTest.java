package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.bounce.BounceReport;
import io.github.outboundrelay.common.bounce.BounceTracker;
import io.github.outboundrelay.common.bounce.FileSuppressionList;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VERP for a mail to several recipients: with VERP on, the queue sends it as one SMTP transaction per recipient, each
 * from the VERP sender naming that recipient, with the same headers; a transient failure retries only that
 * recipient's copy; the copies survive a restart. Real SMTP peer on loopback, real file spool, test time.
 */
class VerpFanOutTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    final ManualTime time = new ManualTime();
    final DeliveryLog log = new DeliveryLog(2000);
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    ScriptedSmtpPeer relay;

    @BeforeEach
    void startRelay() throws Exception {
        relay = QueueTestPeer.start();
        closeAfter.add(relay);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    MailQueue queue(boolean verp) {
        return queue(verp, MailQueue.builder().spoolDirectory(dir.resolve("spool")));
    }

    MailQueue queue(boolean verp, MailQueue.Builder builder) {
        return queue(QueueTestPeer.settings(relay).toBuilder().verp(verp).build(), builder);
    }

    MailQueue queue(RelaySettings settings, MailQueue.Builder builder) {
        MailQueue queue = builder.relay(settings).deliveryLog(log).clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5)).manualDispatch().build();
        closeAfter.add(0, queue);
        return queue;
    }

    /** How many times each recipient got the mail, over every transaction. */
    java.util.Map<String, Long> deliveriesPerRecipient() {
        return relay.received().stream().flatMap(r -> r.recipients().stream())
                .collect(java.util.stream.Collectors.groupingBy(r -> r, java.util.TreeMap::new,
                        java.util.stream.Collectors.counting()));
    }

    /** To alice, Cc bob, Bcc carol. */
    static OutboundMessage mailToThree() {
        return OutboundMessage.builder().to("alice@example.org").cc("bob@example.org").bcc("carol@example.org")
                .subject("Build #42 failed").text("See the console").build();
    }

    /** The mail went as it is: one transaction to all three, from the plain envelope sender, and no fan-out. */
    void assertOneTransactionToAllThreeFromThePlainSender() {
        assertThat(relay.received()).singleElement().satisfies(r -> assertThat(r.recipients())
                .containsExactly("alice@example.org", "bob@example.org", "carol@example.org"));
        assertThat(envelopeSenders()).containsExactly("ci@example.com");
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).isEmpty();
    }

    /** Every MAIL FROM the relay was sent, as its address. */
    List<String> envelopeSenders() {
        return relay.lines().stream().filter(l -> l.toUpperCase(Locale.ROOT).startsWith("MAIL FROM:"))
                .map(l -> l.substring(l.indexOf('<') + 1, l.indexOf('>'))).toList();
    }

    List<DeliveryEvent> events(DeliveryEvent.Outcome outcome) {
        return log.recent().stream().filter(e -> e.outcome() == outcome).toList();
    }

    static String verp(String recipient) {
        return "ci+" + recipient.replace('@', '=') + "@example.com";
    }

    @Test
    void aMailToThreeRecipientsGoesAsThreeTransactionsEachFromTheVerpSenderNamingItsRecipient() throws Exception {
        MailQueue queue = queue(true);
        OutboundMessage mail = mailToThree();
        queue.submit(mail);

        queue.runUntilQuiet(WAIT);

        List<ScriptedSmtpPeer.Received> received = relay.received();
        assertThat(received).hasSize(3);
        assertThat(received).extracting(ScriptedSmtpPeer.Received::recipients).containsExactlyInAnyOrder(
                List.of("alice@example.org"), List.of("bob@example.org"), List.of("carol@example.org"));
        assertThat(envelopeSenders()).containsExactlyInAnyOrder(verp("alice@example.org"), verp("bob@example.org"),
                verp("carol@example.org"));
        // The same message for everyone: the same Message-ID, To and Cc; the Bcc recipient in no header.
        assertThat(received).allSatisfy(r -> {
            assertThat(r.messageId()).isEqualTo(mail.messageId());
            assertThat(r.data()).contains("\r\nTo: alice@example.org\r\n").contains("\r\nCc: bob@example.org\r\n")
                    .doesNotContain("carol");
        });
        assertThat(received).extracting(ScriptedSmtpPeer.Received::data).containsOnly(received.get(0).data());
        // Recorded once as fanned out, then a SENT per recipient; the metrics count three sent transactions.
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).singleElement().satisfies(e -> {
            assertThat(e.messageId()).isEqualTo(mail.messageId());
            assertThat(e.recipients()).hasSize(3);
            assertThat(e.detail()).contains("3 mails of one recipient each");
        });
        assertThat(events(DeliveryEvent.Outcome.SENT)).hasSize(3)
                .allSatisfy(e -> assertThat(e.recipients()).hasSize(1));
        QueueMetrics metrics = queue.metrics();
        assertThat(metrics.submitted()).isEqualTo(1);
        assertThat(metrics.sent()).isEqualTo(3);
        assertThat(metrics.queueDepth()).isZero();
    }

    @Test
    void aTransientFailureOfOneCopyRetriesOnlyThatRecipient() throws Exception {
        MailQueue queue = queue(true);
        relay.reply(ScriptedSmtpPeer.Step.END_OF_DATA, "250 2.0.0 Ok: queued", "451 4.3.0 try again later");
        queue.submit(mailToThree());

        queue.runUntilQuiet(WAIT);

        assertThat(relay.received()).hasSize(2);
        List<String> unlucky = new ArrayList<>(List.of("alice@example.org", "bob@example.org", "carol@example.org"));
        relay.received().forEach(r -> unlucky.removeAll(r.recipients()));
        assertThat(unlucky).hasSize(1);
        // The event names the one recipient retried (masked in the log, as by default).
        assertThat(events(DeliveryEvent.Outcome.RETRY_SCHEDULED)).singleElement().satisfies(e ->
                assertThat(e.recipients()).singleElement().asString().endsWith("@example.org"));

        time.advance(Duration.ofMinutes(1)); // past the first retry (15 s, no jitter)
        queue.runUntilQuiet(WAIT);

        List<String> delivered = relay.received().stream().flatMap(r -> r.recipients().stream()).toList();
        assertThat(delivered).containsExactlyInAnyOrder("alice@example.org", "bob@example.org", "carol@example.org");
        assertThat(envelopeSenders()).hasSize(4).filteredOn(verp(unlucky.get(0))::equals).hasSize(2);
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).hasSize(1);
        assertThat(queue.metrics().queueDepth()).isZero();
    }

    @Test
    void withVerpOffAMailToThreeRecipientsIsOneTransactionWithThePlainSender() throws Exception {
        MailQueue queue = queue(false);
        queue.submit(mailToThree());

        queue.runUntilQuiet(WAIT);

        assertOneTransactionToAllThreeFromThePlainSender();
    }

    @Test
    void aMailToOneRecipientIsNotFannedOut() throws Exception {
        MailQueue queue = queue(true);
        queue.submit(OutboundMessage.builder().to("alice@example.org").subject("Hello").text("Body").build());

        int dispatched = queue.runUntilQuiet(WAIT);

        assertThat(dispatched).as("the mail itself, and no copy of it").isEqualTo(1);
        assertThat(relay.received()).singleElement()
                .satisfies(r -> assertThat(r.recipients()).containsExactly("alice@example.org"));
        assertThat(envelopeSenders()).containsExactly(verp("alice@example.org"));
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).isEmpty();
    }

    @Test
    void theCopiesSurviveARestartAndEachRecipientGetsTheMailOnce() throws Exception {
        relay.stop(); // connections refused: the copies are stored, then wait for the relay
        MailQueue first = queue(true);
        first.submit(mailToThree());
        first.runUntilQuiet(WAIT);
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).hasSize(1);
        assertThat(first.metrics().queueDepth()).isEqualTo(3);
        first.close();
        closeAfter.remove(first);

        relay.restart();
        MailQueue second = queue(true);
        second.runUntilQuiet(WAIT);

        List<String> delivered = relay.received().stream().flatMap(r -> r.recipients().stream()).toList();
        assertThat(delivered).containsExactlyInAnyOrder("alice@example.org", "bob@example.org", "carol@example.org");
        assertThat(envelopeSenders()).containsExactlyInAnyOrder(verp("alice@example.org"), verp("bob@example.org"),
                verp("carol@example.org"));
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).as("not fanned out again").hasSize(1);
        assertThat(second.metrics().queueDepth()).isZero();
    }

    @Test
    void whenTheCopiesCannotBeStoredTheMailGoesAsItIsWithThePlainSender() throws Exception {
        // Room for two mails: the original and its first copy; the second copy finds the spool full.
        MailQueue queue = queue(true, MailQueue.builder().ownedSpool(FileSpool.open(dir.resolve("spool"), 2,
                FileSpool.DEFAULT_MAX_BYTES)));
        queue.submit(mailToThree());

        queue.runUntilQuiet(WAIT);

        assertOneTransactionToAllThreeFromThePlainSender();
        assertThat(queue.metrics().queueDepth()).as("the copy stored first was removed again").isZero();
    }

    @Test
    void aCrashBeforeTheOriginalIsCompletedCanSendTwiceButLosesNoRecipient() throws Exception {
        FileSpool files = FileSpool.open(dir.resolve("spool"));
        LosesOneComplete spool = new LosesOneComplete(files);
        MailQueue first = queue(true, MailQueue.builder().spool(spool));
        spool.lost = first.submit(mailToThree()); // its completion after the fan-out never reaches the disk
        first.runUntilQuiet(WAIT);
        assertThat(deliveriesPerRecipient()).containsOnlyKeys("alice@example.org", "bob@example.org", "carol@example.org")
                .allSatisfy((r, n) -> assertThat(n).isEqualTo(1));
        first.close();
        closeAfter.remove(first);
        files.close();

        MailQueue second = queue(true); // the restart: the original is due again and fanned out again
        second.runUntilQuiet(WAIT);

        assertThat(deliveriesPerRecipient()).containsOnlyKeys("alice@example.org", "bob@example.org", "carol@example.org")
                .allSatisfy((r, n) -> assertThat(n).isEqualTo(2));
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).hasSize(2);
        assertThat(second.metrics().queueDepth()).isZero();
    }

    @Test
    void aSuppressedRecipientGetsNoCopyAndTheOthersCopiesDoNotNameIt() throws Exception {
        BounceTracker tracker = new BounceTracker(FileSuppressionList.open(dir.resolve("suppressions")),
                BounceLimits.DEFAULT, log, true, time);
        tracker.accept(List.of(new BounceReport(BounceKind.HARD, "bob@example.org", "5.1.1",
                "550 5.1.1 <bob@example.org>: user unknown", "<earlier@example.com>", "mx.example.org")));
        MailQueue queue = queue(true, MailQueue.builder().spoolDirectory(dir.resolve("spool")).bounces(tracker));
        queue.submit(mailToThree());

        queue.runUntilQuiet(WAIT);

        assertThat(deliveriesPerRecipient()).containsOnlyKeys("alice@example.org", "carol@example.org")
                .allSatisfy((r, n) -> assertThat(n).isEqualTo(1));
        assertThat(envelopeSenders()).containsExactlyInAnyOrder(verp("alice@example.org"), verp("carol@example.org"));
        assertThat(relay.received()).allSatisfy(r -> assertThat(r.data()).contains("\r\nTo: alice@example.org\r\n")
                .doesNotContain("bob@").doesNotContain("carol"));
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).singleElement()
                .satisfies(e -> assertThat(e.recipients()).hasSize(2));
        assertThat(events(DeliveryEvent.Outcome.FAILED)).singleElement()
                .satisfies(e -> assertThat(e.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED));
        assertThat(queue.metrics().queueDepth()).isZero();
    }

    @Test
    void onARelayThatPipelinesTheCopiesGoInTheChainOfItsConnection() throws Exception {
        relay.close();
        relay = ScriptedSmtpPeer.builder().greeting("220 localhost ESMTP queue test").ehloReply(
                "250-localhost\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8").start();
        closeAfter.add(relay);
        // One connection: every mail after the first goes in its chain.
        MailQueue queue = queue(QueueTestPeer.settings(relay).toBuilder().verp(true).maxConnections(1).build(),
                MailQueue.builder().spoolDirectory(dir.resolve("spool")));
        queue.submit(OutboundMessage.builder().to("first@example.org").subject("Warm-up").text("Body").build());
        queue.runUntilQuiet(WAIT); // the relay's first mail is its breaker's trial, and nothing is chained behind it

        queue.submit(OutboundMessage.builder().to("dave@example.org").subject("Alone").text("Body").build());
        OutboundMessage mail = mailToThree();
        queue.submit(mail); // claimed into the chain behind dave's mail, and fanned out there
        queue.runUntilQuiet(WAIT);

        assertThat(deliveriesPerRecipient()).containsOnlyKeys("first@example.org", "dave@example.org",
                "alice@example.org", "bob@example.org", "carol@example.org").allSatisfy((r, n) -> assertThat(n).isEqualTo(1));
        assertThat(envelopeSenders()).containsExactlyInAnyOrder(verp("first@example.org"), verp("dave@example.org"),
                verp("alice@example.org"), verp("bob@example.org"), verp("carol@example.org"));
        assertThat(relay.connections()).isEqualTo(1);
        assertThat(events(DeliveryEvent.Outcome.FANNED_OUT)).singleElement()
                .satisfies(e -> assertThat(e.messageId()).isEqualTo(mail.messageId()));
        assertThat(queue.metrics().queueDepth()).isZero();
    }

    @Test
    void aReportIsMatchedToTheCopySentToItsRecipient() throws Exception {
        BounceTracker tracker = new BounceTracker(FileSuppressionList.open(dir.resolve("suppressions")),
                BounceLimits.DEFAULT, log, true, time);
        MailQueue queue = queue(true, MailQueue.builder().spoolDirectory(dir.resolve("spool")).bounces(tracker));
        OutboundMessage mail = mailToThree();
        relay.dataDelay(Duration.ofMillis(20)); // the copies' SENT events get distinct times
        queue.submit(mail);
        queue.runUntilQuiet(WAIT);
        List<DeliveryEvent> sent = events(DeliveryEvent.Outcome.SENT);
        assertThat(sent).extracting(DeliveryEvent::time).doesNotHaveDuplicates().hasSize(3);
        DeliveryEvent toAlice = sent.stream().filter(e -> e.recipients().equals(List.of("a***@example.org")))
                .findFirst().orElseThrow();
        assertThat(sent.get(sent.size() - 1)).as("not simply the latest copy").isNotEqualTo(toAlice);

        tracker.accept(List.of(new BounceReport(BounceKind.HARD, "alice@example.org", "5.1.1",
                "550 5.1.1 <alice@example.org>: user unknown", mail.messageId(), "mx.example.org")));

        assertThat(events(DeliveryEvent.Outcome.BOUNCE_REPORTED)).singleElement().satisfies(e ->
                assertThat(e.detail()).contains("; the mail sent at " + toAlice.time() + " through "));
    }

    /** A file spool on which the completion of one entry is lost, as in a crash right before it. */
    static final class LosesOneComplete implements Spool {
        private final Spool spool;
        volatile String lost;

        LosesOneComplete(Spool spool) {
            this.spool = spool;
        }

        @Override
        public void complete(String id) {
            if (!id.equals(lost)) {
                spool.complete(id);
            }
        }

        @Override
        public int recover(QuarantineListener quarantine) {
            return spool.recover(quarantine);
        }

        @Override
        public String store(OutboundMessage message, Instant now) {
            return spool.store(message, now);
        }

        @Override
        public String store(OutboundMessage message, byte[] rendered, Instant now) {
            return spool.store(message, rendered, now);
        }

        @Override
        public List<Entry> claimDue(Instant now, int max) {
            return spool.claimDue(now, max);
        }

        @Override
        public void defer(String id, int attempts, Instant due, String lastFailure) {
            spool.defer(id, attempts, due, lastFailure);
        }

        @Override
        public void deadLetter(String id, DeadLetter letter) {
            spool.deadLetter(id, letter);
        }

        @Override
        public Optional<Instant> nextDue() {
            return spool.nextDue();
        }

        @Override
        public Depth depth() {
            return spool.depth();
        }

        @Override
        public List<DeadLetter> deadLetters(int limit) {
            return spool.deadLetters(limit);
        }

        @Override
        public Optional<DeadLetter> requeueDeadLetter(String id, Instant now) {
            return spool.requeueDeadLetter(id, now);
        }

        @Override
        public Optional<DeadLetter> purgeDeadLetter(String id) {
            return spool.purgeDeadLetter(id);
        }

        @Override
        public int deleteBodies(Instant before) {
            return spool.deleteBodies(before);
        }

        @Override
        public void close() {
            spool.close();
        }
    }
}
