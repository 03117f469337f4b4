package io.github.outboundrelay.common;

import io.github.outboundrelay.testing.DovecotServer;
import io.github.outboundrelay.testing.PostfixServer;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMailboxFailure;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.bounce.FileSuppressionList;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Properties;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with real parts: the queue sends through a real Postfix, which bounces the mail for an unknown
 * user into the bounce Maildir; a real Dovecot serves it over IMAPS; the intake reads it, the address is
 * suppressed, the next mail to it is not sent and the rate moves. A complaint (an ARF report mailed through
 * Postfix) suppresses; a malformed report is counted and skipped; with IMAP down the poll names the failure and
 * nothing is lost.
 */
class BounceEndToEndTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final MailAddress SENDER = MailAddress.parse("bounces@mailbox.test", "from");

    @TempDir
    Path dir;
    DovecotServer dovecot;
    PostfixServer postfix;
    final DeliveryLog log = new DeliveryLog(1000);
    final List<String> suppressedNow = new CopyOnWriteArrayList<>();
    BounceHandling bounces;
    MailQueue queue;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(PostfixServer.installed(), PostfixServer.NOT_INSTALLED);
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        dovecot = DovecotServer.start(dir); // The mail processes run as nobody: a directory they can enter.
        postfix = PostfixServer.start(dir.resolve("postfix"), dovecot.mailDirectory(), List.of("bounces", "reader"));
        bounces = BounceHandling.builder().suppressionDirectory(dir.resolve("suppressions")).mailbox(mailboxSettings().build())
                .limits(BounceLimits.DEFAULT).deliveryLog(log).maskRecipients(true)
                .onSuppressed(s -> suppressedNow.add(s.address())).build();
        queue = MailQueue.builder().spoolDirectory(dir.resolve("spool")).relay(relaySettings(postfix))
                .bounces(bounces.watch()).deliveryLog(log).manualDispatch().build();
    }

    @AfterEach
    void stop() throws Exception {
        if (bounces != null) {
            bounces.close();
        }
        if (queue != null) {
            queue.close();
        }
        if (postfix != null) {
            postfix.close();
        }
        if (dovecot != null) {
            dovecot.close();
        }
    }

    BounceMailboxSettings.Builder mailboxSettings() {
        return BounceMailboxSettings.builder().host("127.0.0.1").port(dovecot.imapsPort)
                .authentication(Authentication.password("bounces", Secret.of(DovecotServer.PASSWORD)))
                .trust(TrustSettings.pem(dovecot.certificate.pem()));
    }

    /** Postfix on loopback takes mail from 127.0.0.0/8 without TLS or AUTH, as a relay on the same host would. */
    static RelaySettings relaySettings(PostfixServer postfix) {
        return RelaySettings.builder().host("127.0.0.1").port(postfix.port).tlsMode(TlsMode.NONE).from(SENDER)
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(10))).build();
    }

    void sendAll() throws InterruptedException {
        queue.runUntilQuiet(WAIT);
        assertThat(queue.metrics().queueDepth()).as("everything handed to Postfix or dead-lettered").isZero();
    }

    static OutboundMessage mailTo(String to, String subject) {
        return OutboundMessage.builder().to(to).subject(subject).text("Hello").build();
    }

    /** Polls until the intake has read what {@code done} wants, within {@link #WAIT}: Postfix bounces asynchronously. */
    BounceMailboxStatus pollUntil(Predicate<BounceMailboxStatus> done) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        BounceMailboxStatus status = bounces.pollNow().orElseThrow();
        while (!done.test(status) && System.nanoTime() < deadline) {
            Thread.sleep(200); // The report arrives in another process's Maildir: there is no event to wait on.
            status = bounces.pollNow().orElseThrow();
        }
        return status;
    }

    /** Mails a raw report through Postfix to the bounce mailbox, as a mailbox provider's feedback loop does. */
    void mailReport(String fixture, String originalRecipient) throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream("/bounces/" + fixture)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = text.replace("complaint@simulator.amazonses.com", originalRecipient);
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(postfix.port));
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "5000");
        p.put("mail.smtp.from", "");
        Session session = Session.getInstance(p);
        MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        Transport.send(message, new InternetAddress[] {new InternetAddress("bounces@" + PostfixServer.MAILBOX_DOMAIN)});
    }

    @Test
    void aBouncedAddressIsSuppressedTheNextMailIsNotSentAndTheRatesMove() throws Exception {
        for (int i = 0; i < 3; i++) {
            queue.submit(mailTo("reader@mailbox.test", "Report " + i));
        }
        queue.submit(mailTo("ghost@bounce.test", "Reset your password"));
        sendAll();
        assertThat(queue.metrics().bounces().last24Hours().sentRecipients()).isEqualTo(4);

        BounceMailboxStatus status = pollUntil(s -> s.reports().getOrDefault(BounceKind.HARD, 0L) >= 1);

        assertThat(status.failure()).isNull();
        assertThat(status.reports()).containsEntry(BounceKind.HARD, 1L);
        assertThat(bounces.get("ghost@bounce.test")).hasValueSatisfying(s -> {
            assertThat(s.suppressed()).isTrue();
            assertThat(s.reason()).isEqualTo(BounceKind.HARD);
            assertThat(s.status()).isEqualTo("5.1.1");
            assertThat(s.diagnostic()).contains("unknown user");
        });
        assertThat(suppressedNow).as("the listener hears of it once").containsExactly("ghost@bounce.test");
        assertThat(queue.metrics().bounces().last24Hours().hardBounceRate()).isEqualTo(0.25);
        assertThat(queue.metrics().bounces().warnings()).isNotEmpty();
        assertThat(log.recent()).filteredOn(e -> e.outcome() == DeliveryEvent.Outcome.BOUNCE_REPORTED).singleElement()
                .satisfies(e -> {
                    assertThat(e.recipients()).containsExactly("g***@bounce.test");
                    assertThat(e.reply()).isEqualTo("5.1.1");
                    assertThat(e.detail()).contains("hard-bounce rate 25.00 % (24 h)")
                            .as("matched by its Message-ID to the mail that left").contains("; the mail sent at ")
                            .contains(" through 127.0.0.1:" + postfix.port);
                });
        assertThat(postfix.deliveries("ghost@bounce.test", "bounced")).isEqualTo(1);

        queue.submit(mailTo("ghost@bounce.test", "Reset your password again"));
        sendAll();
        assertThat(queue.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_SUPPRESSED);
            assertThat(d.reason()).isEqualTo(DeadLetter.Reason.SUPPRESSED);
        });
        assertThat(postfix.deliveries("ghost@bounce.test", "bounced")).as("Postfix never saw the second mail").isEqualTo(1);

        assertThat(bounces.remove("ghost@bounce.test")).as("an administrator fixed the address").isTrue();
        queue.submit(mailTo("ghost@bounce.test", "Reset your password, the address fixed"));
        sendAll();
        assertThat(queue.metrics().bounces().last24Hours().sentRecipients()).as("Postfix took it once removed").isEqualTo(5);
        assertThat(queue.deadLetters(10)).as("no new dead letter").hasSize(1);
    }

    @Test
    void withVerpTheReportComesBackToTheEnvelopeThatNamesTheRecipientAndIsMatchedByIt() throws Exception {
        bounces.close();
        queue.close();
        bounces = BounceHandling.builder().suppressionDirectory(dir.resolve("verp-suppressions"))
                .mailbox(mailboxSettings().verpSender(SENDER.address()).build()).deliveryLog(log).build();
        queue = MailQueue.builder().spoolDirectory(dir.resolve("verp-spool"))
                .relay(relaySettings(postfix).toBuilder().verp(true).build()).bounces(bounces.watch()).deliveryLog(log)
                .manualDispatch().build();
        queue.submit(mailTo("ghost@bounce.test", "Verify your email"));
        sendAll();

        BounceMailboxStatus status = pollUntil(s -> s.reports().getOrDefault(BounceKind.HARD, 0L) >= 1);

        assertThat(status.failure()).isNull();
        assertThat(bounces.get("ghost@bounce.test")).hasValueSatisfying(s -> assertThat(s.suppressed()).isTrue());
        assertThat(postfix.log()).as("Postfix saw the VERP envelope sender and delivered the report to it")
                .contains("from=<bounces+ghost=bounce.test@mailbox.test>")
                .contains("to=<bounces+ghost=bounce.test@mailbox.test>");
    }

    @Test
    void aComplaintSuppressesAndAMalformedReportIsCountedAndSkipped() throws Exception {
        queue.submit(mailTo("reader@mailbox.test", "Weekly"));
        sendAll();
        mailReport("ses-complaint.eml", "reader@mailbox.test");
        mailReport("qmail-plain-text.eml", "unused");

        BounceMailboxStatus status = pollUntil(s -> s.mailsRead() >= 2);

        assertThat(status.reports()).containsEntry(BounceKind.COMPLAINT, 1L).containsEntry(BounceKind.UNKNOWN, 1L);
        assertThat(bounces.get("reader@mailbox.test"))
                .hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo(BounceKind.COMPLAINT));
        assertThat(bounces.search("", 10)).hasSize(1);
        assertThat(queue.metrics().bounces().last24Hours().complaintRate()).isEqualTo(1.0);
        assertThat(bounces.pollNow().orElseThrow().mailsRead()).as("the malformed one is not read again").isEqualTo(2);
    }

    @Test
    void withImapDownThePollNamesTheFailureAndTheListIsKept() throws Exception {
        queue.submit(mailTo("ghost@bounce.test", "Hello"));
        sendAll();
        pollUntil(s -> s.reports().getOrDefault(BounceKind.HARD, 0L) >= 1);
        assertThat(bounces.get("ghost@bounce.test")).hasValueSatisfying(s -> assertThat(s.suppressed()).isTrue());

        dovecot.close();
        BounceMailboxStatus down = bounces.pollNow().orElseThrow();

        assertThat(down.failure()).isEqualTo(BounceMailboxFailure.CONNECT_REFUSED);
        assertThat(down.remedy()).contains("check the port (993 for implicit TLS, 143 for STARTTLS)");
        assertThat(down.lastSuccess()).isNotNull();
        assertThat(down.reports()).containsEntry(BounceKind.HARD, 1L);
        assertThat(FileSuppressionList.open(dir.resolve("suppressions")).isSuppressed("ghost@bounce.test")).isTrue();
        assertThat(Files.exists(dir.resolve("suppressions"))).isTrue();
        dovecot = null;
    }
}
