package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FixedBodyKeys;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.SpoolTestSupport;
import io.github.outboundrelay.common.mime.MimeRenderer;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handoff of just-stored mail ({@link RecentEntries} inside {@link FileSpool}): a claim soon after a store takes
 * the entry from memory, and what it takes is exactly what reading the entry back from disk gives.
 */
class FileSpoolHandoffTest {
    static final Instant T0 = Instant.parse("2026-12-03T08:00:00.123456Z"); // sub-millisecond: the disk keeps millis
    static final RelaySettings SETTINGS = RelaySettings.builder().host("127.0.0.1").port(25)
            .from(io.github.outboundrelay.common.MailAddress.of("ci@example.com", "CI", "from")).build();

    @TempDir
    Path dir;

    /** A mail and whether the queue rendered it at submit. */
    record Stored(OutboundMessage message, boolean rendered) {
    }

    static List<Stored> varied() {
        List<Stored> mails = new ArrayList<>();
        OutboundMessage ascii = OutboundMessage.builder().to("alice@example.com").cc("bob@example.com")
                .bcc("audit@example.com").replyTo("noreply@example.com").subject("Build #42 failed")
                .text("See https://ci.example.com/job/app/42/\n.\nlines starting with a dot\n" + "console output\n".repeat(60))
                .header("X-Jenkins-Job", "app").build();
        OutboundMessage utf8 = OutboundMessage.builder().from("Jürgen Groß <juergen@example.com>").to("zoe@example.com")
                .subject("Überprüfung fehlgeschlagen: 構築 #7 ✓").text("Grüße aus Zürich,\r\nein Test mit ünïcödé\n")
                .html("<p>Grüße aus <b>Zürich</b> — 構築</p>").build();
        OutboundMessage htmlOnly = OutboundMessage.builder().to("carol@example.com").subject("Reset your password")
                .html("<a href=\"https://sso.example.com/reset?key=abc\">Reset</a>").build();
        for (OutboundMessage m : List.of(ascii, utf8, htmlOnly)) {
            mails.add(new Stored(m, true));
            mails.add(new Stored(m, false));
        }
        return mails;
    }

    static String store(FileSpool spool, Stored mail, Instant at) {
        return mail.rendered()
                ? spool.store(mail.message(), MimeRenderer.render(mail.message(), SETTINGS, at), at)
                : spool.store(mail.message(), at);
    }

    static Map<String, Spool.Entry> byId(List<Spool.Entry> entries) {
        return entries.stream().collect(Collectors.toMap(Spool.Entry::id, Function.identity()));
    }

    @Test
    void anEntryClaimedFromTheHandoffEqualsTheSameEntryReadBackFromDiskBySecondSpool() {
        for (BodyCipher cipher : List.of(BodyCipher.NONE, BodyCipher.aesGcm(FixedBodyKeys.withKey("handoff-key")))) {
            Path spoolDir = dir.resolve(cipher == BodyCipher.NONE ? "plain" : "sealed");
            List<Stored> mails = varied();
            Map<String, Spool.Entry> fromMemory;
            try (FileSpool first = FileSpool.open(spoolDir, cipher)) {
                first.recover(Spool.QuarantineListener.NONE);
                for (int i = 0; i < mails.size(); i++) {
                    store(first, mails.get(i), T0.plusMillis(i));
                }
                fromMemory = byId(first.claimDue(T0.plusSeconds(1), 100));
                assertThat(first.statistics().claimedFromMemory()).as("every claim served from memory")
                        .isEqualTo(mails.size());
                assertThat(first.statistics().claimedFromDisk()).isZero();
            } // Closed with every entry claimed, none completed: each stays stored and is due again in the next spool.

            try (FileSpool second = FileSpool.open(spoolDir, cipher)) {
                assertThat(second.recover(Spool.QuarantineListener.NONE)).isEqualTo(mails.size());
                Map<String, Spool.Entry> fromDisk = byId(second.claimDue(T0.plusSeconds(1), 100));
                assertThat(second.statistics().claimedFromDisk()).as("recovered entries are read back")
                        .isEqualTo(mails.size());
                assertThat(second.statistics().claimedFromMemory()).isZero();

                assertThat(fromMemory).hasSize(mails.size());
                assertThat(fromMemory.keySet()).isEqualTo(fromDisk.keySet());
                fromMemory.forEach((id, memory) -> {
                    Spool.Entry disk = fromDisk.get(id);
                    assertThat(memory.message()).as(id + " message").isEqualTo(disk.message());
                    assertThat(memory.rendered()).as(id + " rendered bytes").isEqualTo(disk.rendered());
                    assertThat(memory).as(id).usingRecursiveComparison().isEqualTo(disk);
                });
                assertThat(fromDisk.values()).extracting(Spool.Entry::rendered).filteredOn(r -> r == null)
                        .as("mails stored without a rendering").hasSize(mails.size() / 2);
                assertThat(fromDisk.values()).extracting(Spool.Entry::firstSubmitted)
                        .allSatisfy(t -> assertThat(t).isBetween(T0.minusMillis(1), T0.plusMillis(mails.size())));
            }
        }
    }

    @Test
    void theHandoffNeverHandsOutAnEntryTheIndexDidNotClaim() {
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, new RecentEntries(256, 1 << 20))) {
            spool.recover(Spool.QuarantineListener.NONE);
            String a = spool.store(mail(1), T0);
            String b = spool.store(mail(2), T0.plusSeconds(1));
            String c = spool.store(mail(3), T0.plusSeconds(2));

            assertThat(spool.claimDue(T0.minusMillis(1), 10)).as("held in memory but not due").isEmpty();
            assertThat(spool.claimDue(T0.plusSeconds(1), 1)).extracting(Spool.Entry::id).containsExactly(a);
            assertThat(spool.claimDue(T0.plusSeconds(1), 10)).extracting(Spool.Entry::id).containsExactly(b);
            assertThat(spool.claimDue(T0.plusSeconds(5), 10)).as("a claimed entry is not claimed twice")
                    .extracting(Spool.Entry::id).containsExactly(c);
            assertThat(spool.claimDue(T0.plusSeconds(5), 10)).isEmpty();
            assertThat(spool.statistics().claimedFromMemory()).isEqualTo(3);
        }
    }

    @Test
    void anEntryCompletedDeferredOrDeadLetteredLeavesTheHandoffAndARetryIsReadBackWithItsNewState() {
        RecentEntries recent = new RecentEntries(256, 1 << 20);
        String dead;
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, recent)) {
            spool.recover(Spool.QuarantineListener.NONE);
            String delivered = spool.store(mail(1), T0);
            String retried = spool.store(mail(2), T0);
            OutboundMessage refused = mail(3);
            dead = spool.store(refused, T0);
            String waiting = spool.store(mail(4), T0);
            assertThat(recent.size()).isEqualTo(4);

            // Not through a claim (the normal way, which takes them out): each call forgets the entry by itself.
            spool.complete(delivered);
            spool.defer(retried, 1, T0.plusSeconds(60), "451 4.7.1 try later at relay:587");
            spool.deadLetter(dead, SpoolTestSupport.refused(dead, refused, T0, T0.plusSeconds(1)));
            assertThat(recent.size()).as("only the untouched mail is held").isEqualTo(1);

            assertThat(spool.claimDue(T0.plusSeconds(60), 10)).extracting(Spool.Entry::id)
                    .containsExactlyInAnyOrder(retried, waiting);
            assertThat(spool.statistics().claimedFromMemory()).isEqualTo(1);
            assertThat(spool.statistics().claimedFromDisk()).as("the retry").isEqualTo(1);
            assertThat(recent.size()).isZero();
            assertThat(recent.bytes()).isZero();
        }
        try (FileSpool reopened = FileSpool.open(dir)) {
            assertThat(reopened.recover(Spool.QuarantineListener.NONE)).as("the retry and the untouched mail").isEqualTo(2);
            assertThat(reopened.deadLetters(10)).extracting(DeadLetter::id).containsExactly(dead);
        }
    }

    @Test
    void aRetryClaimedAfterItsDeferIsTheDeferredStateNotTheStoredOne() {
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, new RecentEntries(256, 1 << 20))) {
            spool.recover(Spool.QuarantineListener.NONE);
            OutboundMessage message = mail(1);
            String id = spool.store(message, T0);
            assertThat(spool.claimDue(T0, 1)).singleElement().satisfies(e -> assertThat(e.attempts()).isZero());
            spool.defer(id, 1, T0.plusSeconds(60), "451 4.7.1 try later at relay:587");

            assertThat(spool.claimDue(T0.plusSeconds(60), 1)).singleElement().satisfies(e -> {
                assertThat(e.attempts()).isEqualTo(1);
                assertThat(e.due()).isEqualTo(T0.plusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
                assertThat(e.lastFailure()).isEqualTo("451 4.7.1 try later at relay:587");
                assertThat(e.message()).isEqualTo(message);
            });
            assertThat(spool.statistics().claimedFromMemory()).isEqualTo(1);
            assertThat(spool.statistics().claimedFromDisk()).isEqualTo(1);
        }
    }

    @Test
    void aFullHandoffKeepsNoMoreEntriesByCountAndTheirClaimsReadThemFromDiskUnchanged() {
        RecentEntries recent = new RecentEntries(2, 1 << 20);
        List<OutboundMessage> mails = List.of(mail(1), mail(2), mail(3), mail(4));
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, recent)) {
            spool.recover(Spool.QuarantineListener.NONE);
            List<String> ids = new ArrayList<>();
            List<byte[]> rendered = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                rendered.add(MimeRenderer.render(mails.get(i), SETTINGS, T0));
                ids.add(spool.store(mails.get(i), rendered.get(i), T0.plusMillis(i)));
            }
            assertThat(recent.size()).as("the first two; the third was read back when claimed").isEqualTo(2);

            List<Spool.Entry> claimed = spool.claimDue(T0.plusSeconds(1), 10);
            assertThat(claimed).extracting(Spool.Entry::id).containsExactlyElementsOf(ids);
            assertThat(spool.statistics().claimedFromMemory()).isEqualTo(2);
            assertThat(spool.statistics().claimedFromDisk()).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                Spool.Entry e = claimed.get(i);
                assertThat(e.message()).isEqualTo(mails.get(i));
                assertThat(e.rendered()).isEqualTo(rendered.get(i));
                assertThat(e.firstSubmitted()).isEqualTo(T0.plusMillis(i).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
                assertThat(e.attempts()).isZero();
            }

            String next = spool.store(mails.get(3), T0.plusSeconds(2));
            assertThat(recent.size()).as("claims made room").isEqualTo(1);
            assertThat(spool.claimDue(T0.plusSeconds(2), 10)).singleElement()
                    .satisfies(e -> assertThat(e.id()).isEqualTo(next));
            assertThat(spool.statistics().claimedFromMemory()).isEqualTo(3);
        }
    }

    @Test
    void aFullHandoffKeepsNoMoreEntriesByBytesAndTheirClaimsReadThemFromDiskUnchanged() {
        OutboundMessage big = OutboundMessage.builder().to("dave@example.com").subject("A long build log")
                .text("console output line\n".repeat(500)).build();
        OutboundMessage small = mail(1);
        byte[] bigRendered = MimeRenderer.render(big, SETTINGS, T0);
        long bigWeight = RecentEntries.weightOf(new Spool.Entry("x", big, 0, T0, T0, "", bigRendered));
        RecentEntries recent = new RecentEntries(256, bigWeight + 100); // the big one and then nothing of its size
        try (FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, recent)) {
            spool.recover(Spool.QuarantineListener.NONE);
            String first = spool.store(big, bigRendered, T0);
            String second = spool.store(big, MimeRenderer.render(big, SETTINGS, T0), T0.plusMillis(1));
            assertThat(recent.size()).isEqualTo(1);
            assertThat(recent.bytes()).isEqualTo(bigWeight);

            Map<String, Spool.Entry> claimed = byId(spool.claimDue(T0.plusSeconds(1), 10));
            assertThat(claimed.keySet()).containsExactlyInAnyOrder(first, second);
            assertThat(claimed.get(second).message()).isEqualTo(big);
            assertThat(claimed.get(second).rendered()).isEqualTo(bigRendered);
            assertThat(spool.statistics().claimedFromDisk()).isEqualTo(1);

            spool.store(small, MimeRenderer.render(small, SETTINGS, T0), T0.plusSeconds(2));
            assertThat(recent.size()).as("a claim made room").isEqualTo(1);
        }
    }

    @Test
    void aClosedSpoolLetsGoOfItsHandoff() {
        RecentEntries recent = new RecentEntries(256, 1 << 20);
        FileSpool spool = FileSpool.open(dir, BodyCipher.NONE, recent);
        spool.recover(Spool.QuarantineListener.NONE);
        spool.store(mail(1), T0);
        assertThat(recent.size()).isEqualTo(1);

        spool.close();

        assertThat(recent.size()).isZero();
        assertThat(recent.bytes()).isZero();
    }
}
