package io.github.outboundrelay.common.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.OutboundMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link io.github.outboundrelay.common.MailQueue} relies on from any {@link Spool}, as tests every storage runs:
 * {@link FileSpoolContractTest} for files, and the Keycloak provider's database spool on a real PostgreSQL and H2
 * ({@code DatabaseSpoolIT}). A storage's test class extends this and says how to open its spool on the same storage
 * again, so that what survives a close is checked too. Exported in relay-common's test jar.
 */
public abstract class SpoolContract {
    /** The tests' "now", to the millisecond every store keeps; due times are given, never read from a clock. */
    protected static final Instant NOW = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

    private final List<Spool> opened = new ArrayList<>();

    /** A spool on the storage under test, the same storage each call (a second call opens what the first left). */
    protected abstract Spool openSpool();

    /** Opens the storage's spool and recovers it, as a queue does; closed after the test. */
    protected Spool open() {
        Spool spool = openSpool();
        opened.add(spool);
        spool.recover(Spool.QuarantineListener.NONE);
        return spool;
    }

    @AfterEach
    public void closeSpools() {
        opened.forEach(Spool::close);
    }

    protected static OutboundMessage mail(String subject) {
        return OutboundMessage.builder().to("contract@example.com").subject(subject).text("Body of " + subject).build();
    }

    @Test
    public void aStoredMailIsClaimedOnceWithItsMessageAndStaysInvisibleWhileClaimed() {
        Spool spool = open();
        OutboundMessage message = mail("first");
        String id = spool.store(message, NOW);
        assertThat(spool.depth().queued()).isEqualTo(1);
        assertThat(spool.nextDue()).contains(NOW);

        List<Spool.Entry> claimed = spool.claimDue(NOW, 10);
        assertThat(claimed).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.message().messageId()).isEqualTo(message.messageId());
            assertThat(e.message().subject()).isEqualTo("first");
            assertThat(e.attempts()).isZero();
            assertThat(e.firstSubmitted()).isEqualTo(NOW);
        });
        assertThat(spool.claimDue(NOW.plusSeconds(3600), 10)).as("claimed: invisible to further claims").isEmpty();
        assertThat(spool.depth().queued()).as("still queued while being delivered").isEqualTo(1);
    }

    @Test
    public void claimsTakeTheEarliestDueFirstAndNothingBeforeItIsDue() {
        Spool spool = open();
        String later = spool.store(mail("later"), NOW.plusSeconds(60));
        String earlier = spool.store(mail("earlier"), NOW);
        assertThat(spool.claimDue(NOW.minusSeconds(1), 10)).isEmpty();
        assertThat(spool.claimDue(NOW.plusSeconds(120), 1)).extracting(Spool.Entry::id).containsExactly(earlier);
        assertThat(spool.claimDue(NOW.plusSeconds(120), 1)).extracting(Spool.Entry::id).containsExactly(later);
    }

    @Test
    public void aCompletedMailIsGone() {
        Spool spool = open();
        String id = spool.store(mail("delivered"), NOW);
        spool.claimDue(NOW, 1);
        spool.complete(id);
        assertThat(spool.depth().queued()).isZero();
        assertThat(spool.nextDue()).isEmpty();
        assertThat(spool.claimDue(NOW.plusSeconds(3600), 10)).isEmpty();
    }

    @Test
    public void aDeferredMailComesBackAtItsDueTimeWithItsAttemptsAndLastFailure() {
        Spool spool = open();
        String id = spool.store(mail("retried"), NOW);
        spool.claimDue(NOW, 1);
        Instant due = NOW.plus(Duration.ofMinutes(5));
        spool.defer(id, 1, due, "451 4.3.0 try later");

        assertThat(spool.claimDue(due.minusMillis(1), 10)).isEmpty();
        assertThat(spool.nextDue()).contains(due);
        assertThat(spool.claimDue(due, 10)).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.attempts()).isEqualTo(1);
            assertThat(e.lastFailure()).isEqualTo("451 4.3.0 try later");
            assertThat(e.firstSubmitted()).isEqualTo(NOW);
        });
    }

    @Test
    public void aDeadLetterIsListedRequeuedWithAFreshLifetimeAndPurged() {
        Spool spool = open();
        OutboundMessage message = mail("refused");
        String id = spool.store(message, NOW);
        spool.claimDue(NOW, 1);
        spool.deadLetter(id, letter(id, message, NOW.plusSeconds(1)));

        assertThat(spool.depth().queued()).isZero();
        assertThat(spool.depth().deadLetters()).isEqualTo(1);
        assertThat(spool.deadLetters(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(id);
            assertThat(d.messageId()).isEqualTo(message.messageId());
            assertThat(d.category()).isEqualTo(FailureCategory.RECIPIENT_REJECTED);
        });

        Instant later = NOW.plusSeconds(600);
        assertThat(spool.requeueDeadLetter(id, later)).isPresent();
        assertThat(spool.deadLetters(10)).isEmpty();
        assertThat(spool.claimDue(later, 10)).singleElement().satisfies(e -> {
            assertThat(e.attempts()).isZero();
            assertThat(e.message().messageId()).isEqualTo(message.messageId());
        });
        spool.deadLetter(id, letter(id, message, later));
        assertThat(spool.purgeDeadLetter(id)).isPresent();
        assertThat(spool.purgeDeadLetter(id)).isEmpty();
        assertThat(spool.requeueDeadLetter(id, later)).isEmpty();
        assertThat(spool.depth()).isEqualTo(new Spool.Depth(0, null, 0));
    }

    @Test
    public void whatWasStoredOrClaimedBeforeACloseIsDueAgainAfterTheSpoolIsOpenedAgain() {
        Spool first = open();
        OutboundMessage inFlight = mail("in flight at the close");
        String claimed = first.store(inFlight, NOW);
        String waiting = first.store(mail("waiting"), NOW.plusSeconds(1));
        assertThat(first.claimDue(NOW, 1)).extracting(Spool.Entry::id).containsExactly(claimed);
        first.close();

        Spool second = open();
        assertThat(second.depth().queued()).isEqualTo(2);
        assertThat(second.claimDue(NOW.plusSeconds(2), 10)).extracting(Spool.Entry::id)
                .as("at-least-once: the mail claimed by the closed spool is sent again").containsExactly(claimed, waiting);
    }

    @Test
    public void aClosedSpoolRefusesNewMailAndClaimsAndItsLateChangesReachNothing() {
        Spool first = open();
        OutboundMessage message = mail("claimed before the close");
        String id = first.store(message, NOW);
        first.claimDue(NOW, 1);
        first.close();

        assertThatThrownBy(() -> first.store(mail("after the close"), NOW)).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> first.claimDue(NOW, 1)).isInstanceOf(RuntimeException.class);
        // A send that outlived its queue reports back: refused or ignored, never written.
        ignoringRefusal(() -> first.defer(id, 7, NOW.plusSeconds(3600), "late"));
        ignoringRefusal(() -> first.deadLetter(id, letter(id, message, NOW)));

        Spool second = open();
        assertThat(second.deadLetters(10)).isEmpty();
        assertThat(second.claimDue(NOW, 10)).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.attempts()).as("the closed spool's late retry was not recorded").isZero();
        });
    }

    private static void ignoringRefusal(Runnable change) {
        try {
            change.run();
        } catch (RuntimeException refused) {
            // Refusing is as good as ignoring: either way nothing reaches the store.
        }
    }

    protected static DeadLetter letter(String id, OutboundMessage message, Instant at) {
        return new DeadLetter(id, message.messageId(), List.of("c***@example.com"), message.subject(), "relay.example.com:587",
                FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 <c***@example.com>: Recipient address rejected",
                "The relay refused the recipient: check that it is spelled correctly and exists", DeadLetter.Reason.REJECTED,
                1, NOW, at);
    }
}
