package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMailboxFailure;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.testing.DovecotServer;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bounce mailbox against a real Dovecot over IMAPS and IMAP+STARTTLS on loopback. */
class BounceMailboxTest {
    @TempDir
    static Path dir;
    static DovecotServer dovecot;

    @BeforeAll
    static void startDovecot() throws Exception {
        assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED);
        dovecot = DovecotServer.start(dir);
    }

    @AfterAll
    static void stopDovecot() throws InterruptedException {
        if (dovecot != null) {
            dovecot.close();
        }
    }

    static BounceMailboxSettings.Builder settings(String user) {
        return BounceMailboxSettings.builder().host("127.0.0.1").port(dovecot.imapsPort).tlsMode(TlsMode.IMPLICIT_TLS)
                .authentication(Authentication.password(user, Secret.of(DovecotServer.PASSWORD)))
                .trust(TrustSettings.pem(dovecot.certificate.pem()))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    static void deliverFixtures(String user, String... names) throws IOException {
        for (String name : names) {
            dovecot.deliver(user, "INBOX", DovecotServer.fixture(name));
        }
    }

    @Test
    void readOnlyReadsEveryReportOverImplicitTlsAndChangesNothing() throws Exception {
        deliverFixtures("reader", "postfix-unknown-user.eml", "ses-complaint.eml", "qmail-plain-text.eml");
        BounceMailbox mailbox = new BounceMailbox(settings("reader").build(), Clock.systemUTC());

        MailboxRead read = mailbox.read();

        assertThat(read.messagesInFolder()).isEqualTo(3);
        // In any order: Dovecot numbers new Maildir files in the order the directory lists them.
        assertThat(read.reports()).extracting(BounceReport::kind, BounceReport::recipient).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(BounceKind.HARD, "nobody@example.org"),
                org.assertj.core.groups.Tuple.tuple(BounceKind.COMPLAINT, "complaint@simulator.amazonses.com"),
                org.assertj.core.groups.Tuple.tuple(BounceKind.UNKNOWN, ""));
        assertThat(read.counts()).containsEntry(BounceKind.HARD, 1).containsEntry(BounceKind.COMPLAINT, 1)
                .containsEntry(BounceKind.UNKNOWN, 1).containsEntry(BounceKind.SOFT, 0);
        assertThat(flagsOf("reader", "INBOX")).hasSize(3).allSatisfy(flags -> {
            assertThat(flags.contains(Flags.Flag.SEEN)).as("\\Seen after a read-only read").isFalse();
            assertThat(flags.getUserFlags()).as("keywords after a read-only read").isEmpty();
        });
        assertThat(mailbox.read().reports()).as("a second read sees the same").hasSize(3);
    }

    @Test
    void startTlsReadsTheSameMailbox() throws Exception {
        deliverFixtures("starttls", "gmail-no-such-user.eml");
        MailboxRead read = new BounceMailbox(settings("starttls").port(dovecot.starttlsPort).tlsMode(TlsMode.STARTTLS).build(),
                Clock.systemUTC()).read();
        assertThat(read.reports()).singleElement().extracting(BounceReport::recipient).isEqualTo("nosuchuser@example.edu");
    }

    @Test
    void pollHandsReportsToTheSinkThenFlagsThemAndLeavesUnknownOnesUnread() throws Exception {
        deliverFixtures("poller", "m365-ndr.eml", "malformed-no-status-part.eml", "delayed-and-failed.eml");
        BounceMailbox mailbox = new BounceMailbox(settings("poller").build(), Clock.systemUTC());
        List<BounceReport> taken = new ArrayList<>();

        MailboxRead first = mailbox.poll(taken::addAll);

        assertThat(first.mails()).hasSize(3);
        assertThat(taken).extracting(BounceReport::recipient)
                .containsExactlyInAnyOrder("ghost@fabrikam.example", "later@example.org", "full@example.org", "gone@example.org");
        List<Flags> flags = flagsOf("poller", "INBOX");
        assertThat(flags).filteredOn(f -> f.contains(BounceMailbox.PROCESSED_KEYWORD)).hasSize(2)
                .allSatisfy(f -> assertThat(f.contains(Flags.Flag.SEEN)).isTrue());
        assertThat(flags).filteredOn(f -> f.contains(BounceMailbox.UNKNOWN_KEYWORD)).singleElement()
                .satisfies(f -> assertThat(f.contains(Flags.Flag.SEEN)).as("an unknown report stays unread").isFalse());

        assertThat(mailbox.poll(taken::addAll).mails()).as("the next poll finds nothing new").isEmpty();
        assertThat(taken).hasSize(4);
    }

    @Test
    void aSinkThatFailsLeavesTheReportUnmarkedAndTheNextPollTakesIt() throws Exception {
        deliverFixtures("failing", "ses-bounce.eml");
        BounceMailbox mailbox = new BounceMailbox(settings("failing").build(), Clock.systemUTC());

        assertThatThrownBy(() -> mailbox.poll(reports -> {
            throw new IOException("disk full");
        })).isInstanceOf(IOException.class);
        assertThat(flagsOf("failing", "INBOX")).singleElement().satisfies(f -> {
            assertThat(f.contains(Flags.Flag.SEEN)).isFalse();
            assertThat(f.getUserFlags()).isEmpty();
        });

        AtomicInteger taken = new AtomicInteger();
        mailbox.poll(reports -> taken.addAndGet(reports.size()));
        assertThat(taken).hasValue(1);
    }

    @Test
    void moveDispositionMovesProcessedReportsAndAMissingDestinationFailsBeforeAnyIsTouched() throws Exception {
        deliverFixtures("mover", "postfix-unknown-user.eml", "qmail-plain-text.eml");
        BounceMailboxSettings.Builder moving = settings("mover").disposition(BounceMailboxSettings.Disposition.MOVE);

        BounceMailbox missing = new BounceMailbox(moving.moveTo("Processed").build(), Clock.systemUTC());
        assertThatThrownBy(() -> missing.poll(reports -> { }))
                .isInstanceOfSatisfying(BounceMailboxException.class, e -> {
                    assertThat(e.category()).isEqualTo(BounceMailboxFailure.FOLDER_MISSING);
                    assertThat(e.remedy()).contains("create it");
                });
        assertThat(flagsOf("mover", "INBOX")).hasSize(2).allSatisfy(f -> assertThat(f.getUserFlags()).isEmpty());

        dovecot.createFolder("mover", "Processed");
        new BounceMailbox(moving.build(), Clock.systemUTC()).poll(reports -> { });
        assertThat(flagsOf("mover", "Processed")).as("the bounce, moved").hasSize(1);
        assertThat(flagsOf("mover", "INBOX")).as("the unknown report, left").singleElement()
                .satisfies(f -> assertThat(f.contains(BounceMailbox.UNKNOWN_KEYWORD)).isTrue());
    }

    @Test
    void whenTheSinkFailsMidwayTheMailsTakenBeforeAreStillMovedAndTheRestWait() throws Exception {
        dovecot.createFolder("midway", "Done");
        deliverFixtures("midway", "postfix-unknown-user.eml");
        deliverFixtures("midway", "ses-bounce.eml");
        BounceMailbox mailbox = new BounceMailbox(settings("midway").disposition(BounceMailboxSettings.Disposition.MOVE)
                .moveTo("Done").build(), Clock.systemUTC());
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> mailbox.poll(reports -> {
            if (calls.incrementAndGet() == 2) {
                throw new IOException("disk full");
            }
        })).isInstanceOf(IOException.class);

        assertThat(flagsOf("midway", "Done")).as("the first, taken into account, moved").hasSize(1);
        assertThat(flagsOf("midway", "INBOX")).as("the second, waiting unmarked").singleElement()
                .satisfies(f -> assertThat(f.getUserFlags()).isEmpty());
    }

    @Test
    void deleteDispositionDeletesOnlyWhatWasProcessed() throws Exception {
        deliverFixtures("deleter", "ses-bounce.eml", "qmail-plain-text.eml");
        new BounceMailbox(settings("deleter").disposition(BounceMailboxSettings.Disposition.DELETE).build(), Clock.systemUTC())
                .poll(reports -> { });
        assertThat(flagsOf("deleter", "INBOX")).singleElement()
                .satisfies(f -> assertThat(f.contains(BounceMailbox.UNKNOWN_KEYWORD)).isTrue());
    }

    @Test
    void wrongPasswordIsAuthFailedWithARemedy() {
        BounceMailbox mailbox = new BounceMailbox(settings("someone")
                .authentication(Authentication.password("someone", Secret.of("wrong"))).build(), Clock.systemUTC());
        assertThatThrownBy(mailbox::read).isInstanceOfSatisfying(BounceMailboxException.class, e -> {
            assertThat(e.category()).isEqualTo(BounceMailboxFailure.AUTH_FAILED);
            assertThat(e.remedy()).contains("check the mailbox user and password");
            assertThat(e.getMessage()).doesNotContain("wrong").doesNotContain(DovecotServer.PASSWORD);
        });
    }

    @Test
    void nothingListeningIsConnectRefused() throws IOException {
        BounceMailbox mailbox = new BounceMailbox(settings("someone").port(DovecotServer.freePort()).build(), Clock.systemUTC());
        assertThatThrownBy(mailbox::read).isInstanceOfSatisfying(BounceMailboxException.class, e -> {
            assertThat(e.category()).isEqualTo(BounceMailboxFailure.CONNECT_REFUSED);
            assertThat(e.remedy()).contains("993 for implicit TLS");
        });
    }

    @Test
    void theJvmsCaStoreDoesNotTrustTheTestCertificate() {
        BounceMailbox mailbox = new BounceMailbox(settings("someone").trust(TrustSettings.jvmDefault()).build(), Clock.systemUTC());
        assertThatThrownBy(mailbox::read).isInstanceOfSatisfying(BounceMailboxException.class,
                e -> assertThat(e.category()).isEqualTo(BounceMailboxFailure.CERTIFICATE_UNTRUSTED));
    }

    /**
     * Hostname verification is on for IMAP as for the relays: a certificate the trust settings accept, made for
     * another name, is refused. Against Dovecot (OpenSSL) the JDK reports this as a failed PKIX path, not as a name
     * mismatch, so the category is CERTIFICATE_UNTRUSTED or HOSTNAME_MISMATCH; what matters is that no login happens.
     * The other tests log in through a certificate made for 127.0.0.1: the name is what is refused here.
     */
    @Test
    void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
        java.time.Instant now = java.time.Instant.now();
        io.github.outboundrelay.testing.SelfSignedCertificate elsewhere = io.github.outboundrelay.testing.SelfSignedCertificate
                .create(List.of("DNS:imap.elsewhere.example"), now.minusSeconds(3600), now.plusSeconds(86400));
        try (DovecotServer impostor = DovecotServer.start(dir.resolve("elsewhere"), elsewhere)) {
            for (TlsMode mode : List.of(TlsMode.IMPLICIT_TLS, TlsMode.STARTTLS)) {
                BounceMailbox mailbox = new BounceMailbox(settings("someone").tlsMode(mode)
                        .port(mode == TlsMode.STARTTLS ? impostor.starttlsPort : impostor.imapsPort)
                        .trust(TrustSettings.pem(elsewhere.pem())).build(), Clock.systemUTC());
                assertThatThrownBy(mailbox::read).as(mode.name()).isInstanceOfSatisfying(BounceMailboxException.class,
                        e -> assertThat(e.category()).isIn(BounceMailboxFailure.HOSTNAME_MISMATCH, BounceMailboxFailure.CERTIFICATE_UNTRUSTED));
            }
            assertThat(impostor.log()).doesNotContain("Login:");
        }
    }

    @Test
    void implicitTlsOnTheStartTlsPortIsATlsModeMismatch() {
        BounceMailbox mailbox = new BounceMailbox(settings("someone").port(dovecot.starttlsPort).build(), Clock.systemUTC());
        assertThatThrownBy(mailbox::read).isInstanceOfSatisfying(BounceMailboxException.class,
                e -> assertThat(e.category()).isEqualTo(BounceMailboxFailure.TLS_MODE_MISMATCH));
    }

    @Test
    void aMissingFolderIsNamed() {
        BounceMailbox mailbox = new BounceMailbox(settings("someone").folder("Bounces").build(), Clock.systemUTC());
        assertThatThrownBy(mailbox::read).isInstanceOfSatisfying(BounceMailboxException.class,
                e -> assertThat(e.category()).isEqualTo(BounceMailboxFailure.FOLDER_MISSING));
    }

    /** The flags of every message of a folder, read over a plain Angus session that trusts the test certificate. */
    static List<Flags> flagsOf(String user, String folderName) throws MessagingException {
        BounceMailboxSettings s = settings(user).build();
        Properties p = BounceMailbox.properties(s, "imaps", io.github.outboundrelay.common.tls.TlsContext.create(s.trust()));
        Store store = Session.getInstance(p).getStore("imaps");
        store.connect("127.0.0.1", dovecot.imapsPort, user, DovecotServer.PASSWORD);
        try {
            Folder folder = store.getFolder(folderName);
            folder.open(Folder.READ_ONLY);
            List<Flags> flags = new ArrayList<>();
            for (Message m : folder.getMessages()) {
                flags.add(m.getFlags());
            }
            folder.close(false);
            return flags;
        } finally {
            store.close();
        }
    }
}
