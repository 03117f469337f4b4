package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.OutboundMessage;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Durable storage for queued mail: what makes {@link MailQueue} lose nothing it acknowledged. relay-common ships
 * {@link FileSpool} (one file per mail, right for Jenkins, whose JENKINS_HOME persists); a Keycloak cluster can
 * implement this on its database so that any node delivers what another queued.
 *
 * <p>The contract, which {@link MailQueue} relies on:
 * <ul>
 *   <li>{@link #store} returns only when the mail survives a crash of the process (and, for a file spool, of the
 *       machine). It throws {@link SpoolException} rather than accept a mail it cannot keep.</li>
 *   <li>An entry is <em>claimed</em> by {@link #claimDue} and stays claimed, invisible to further claims, until the
 *       queue calls {@link #complete}, {@link #defer} or {@link #deadLetter}. Claims do not survive
 *       {@link #recover}: after a crash every entry still stored is due again (at-least-once). A spool shared by
 *       several processes should give claims a lease instead.</li>
 *   <li>{@link #complete} may be lost in a crash; the mail is then delivered again with the same Message-ID.</li>
 *   <li>The memory a spool needs does not grow with message bodies: only {@link #claimDue} loads them (a spool
 *       may keep a bounded number of just-stored ones for their claim, as {@link FileSpool} does).</li>
 * </ul>
 * Implementations are thread-safe: submitters, the dispatcher and the senders call them concurrently.
 *
 * <pre>{@code
 * MailQueue queue = MailQueue.builder().relay(settings).spool(FileSpool.open(dir)).build();
 * }</pre>
 */
public interface Spool extends AutoCloseable {

    /**
     * Rebuilds the spool's view of what it holds after a start or a crash: every stored entry becomes unclaimed;
     * leftovers of interrupted writes are removed. Called once, before anything else. Entries that cannot be read
     * are moved aside (never deleted) and reported to {@code quarantine}, now and whenever one is found later.
     *
     * @return the number of queued entries found
     */
    int recover(QuarantineListener quarantine);

    /**
     * Stores a new mail, due now, with no attempts. Returns only when it is durable.
     *
     * @return the entry's id
     * @throws SpoolException when the spool is full or cannot be written; the mail was not stored
     */
    String store(OutboundMessage message, Instant now);

    /**
     * Like {@link #store(OutboundMessage, Instant)}, keeping the message as {@code MimeRenderer} rendered it at submit
     * too, so that no attempt renders it again ({@link Entry#rendered()}). A spool that keeps only the message may
     * leave this as it is: the message is then rendered when it is sent. The spool may keep {@code rendered} and hand
     * the same array to the claim ({@link FileSpool}'s handoff): do not change it after the call.
     */
    default String store(OutboundMessage message, byte[] rendered, Instant now) {
        return store(message, now);
    }

    /** Claims up to {@code max} entries due at or before {@code now}, earliest first, with their messages loaded. */
    List<Entry> claimDue(Instant now, int max);

    /** Removes a delivered entry. */
    void complete(String id);

    /** Puts a claimed entry back, due at {@code due}, recording the attempts made and the last failure. */
    void defer(String id, int attempts, Instant due, String lastFailure);

    /** Moves a claimed entry to the dead letters, keeping its message for a later {@link #requeueDeadLetter}. */
    void deadLetter(String id, DeadLetter letter);

    /** When the earliest unclaimed entry is due, or empty when none is waiting. */
    Optional<Instant> nextDue();

    /** How much is waiting. */
    Depth depth();

    /** Up to {@code limit} dead letters, oldest first. */
    List<DeadLetter> deadLetters(int limit);

    /**
     * Queues a dead letter again, due at {@code now} with a fresh lifetime.
     *
     * @return it, or empty when there is none
     * @throws InvalidInputException when its body was deleted after the retention ({@link #bodyDeleted}): a dead letter
     *                               without a body can be listed and purged, not sent
     */
    Optional<DeadLetter> requeueDeadLetter(String id, Instant now);

    /** Deletes a dead letter for good. @return it, or empty when there is none */
    Optional<DeadLetter> purgeDeadLetter(String id);

    /**
     * Deletes the message bodies of dead letters given up before {@code before}, and of entries quarantined before
     * it: mail bodies carry reset links, which must not stay at rest longer than the retention. What failed stays
     * listed: the dead letter's record (Message-ID, masked recipients, subject, relay, category, reply, remedy), or
     * the quarantined entry's reason. Called by {@link MailQueue} about once a minute.
     *
     * @return how many bodies were deleted
     * @throws SpoolException when the spool cannot be written; nothing is lost, the next call tries again
     */
    int deleteBodies(Instant before);

    /** What {@link #requeueDeadLetter} throws for a dead letter whose body was deleted: the same words for every spool. */
    static InvalidInputException bodyDeleted(String id) {
        return new InvalidInputException("deadLetterId", "dead letter " + id + " cannot be sent again: its body was "
                + "deleted after the retention of dead-letter bodies, and only its record is kept",
                "Have the application send the mail anew (a new password reset, a new build notification), then purge "
                        + "this dead letter");
    }

    /** Releases the spool (its lock, open files). Entries stay stored. */
    @Override
    void close();

    /**
     * A stored mail with its delivery state.
     *
     * @param id             the spool's id for it
     * @param message        the mail, with its fixed Message-ID
     * @param attempts       delivery attempts made so far; 0 for a new mail
     * @param firstSubmitted when {@link #store} accepted it
     * @param due            when it should be tried next
     * @param lastFailure    one line about the last failed attempt, or empty
     * @param rendered       the message as rendered at submit, or null when the spool keeps only the message
     */
    record Entry(String id, OutboundMessage message, int attempts, Instant firstSubmitted, Instant due, String lastFailure,
                 byte[] rendered) {
        public Entry {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(firstSubmitted, "firstSubmitted");
            Objects.requireNonNull(due, "due");
            lastFailure = lastFailure == null ? "" : lastFailure;
        }

        /** An entry of a spool that keeps only the message. */
        public Entry(String id, OutboundMessage message, int attempts, Instant firstSubmitted, Instant due, String lastFailure) {
            this(id, message, attempts, firstSubmitted, due, lastFailure, null);
        }
    }

    /**
     * @param queued         entries waiting or being delivered
     * @param oldestSubmitted when the oldest of them was submitted, or null when none is queued
     * @param deadLetters    dead letters kept
     */
    record Depth(long queued, Instant oldestSubmitted, long deadLetters) {
    }

    /** Told about each entry moved aside because it could not be read. Must not throw. */
    @FunctionalInterface
    interface QuarantineListener {
        QuarantineListener NONE = (id, where, reason) -> { };

        /**
         * @param id     the entry's id
         * @param where  where the unreadable data now is (a file path, a table row)
         * @param reason what was wrong with it, one line
         */
        void quarantined(String id, String where, String reason);
    }
}
