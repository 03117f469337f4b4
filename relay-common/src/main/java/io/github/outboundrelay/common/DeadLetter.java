package io.github.outboundrelay.common;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A mail the queue gave up on, kept with everything an administrator needs to decide: retry it (after fixing the
 * cause) or purge it. Recipients are masked as the relay settings say; the body stays in the spool, never here.
 *
 * <pre>{@code
 * for (DeadLetter d : queue.deadLetters(100)) {
 *     System.out.println(d.id() + " " + d.category() + " " + d.reply() + " -> " + d.remedy());
 * }
 * queue.retryDeadLetter(id);   // or queue.purgeDeadLetter(id)
 * }</pre>
 *
 * @param id             the spool id, for {@code retryDeadLetter} and {@code purgeDeadLetter}
 * @param messageId      the mail's Message-ID header
 * @param recipients     envelope recipients, masked as configured
 * @param subject        the subject, to recognise the mail
 * @param relay          {@code host:port} of the relay that gave the last answer
 * @param category       why the last attempt failed
 * @param reply          the relay's last reply (addresses masked as configured), or empty
 * @param remedy         what a person can do about it
 * @param reason         refused permanently, or given up when its lifetime ran out
 * @param attempts       delivery attempts made
 * @param firstSubmitted when the mail was submitted
 * @param deadLettered   when the queue gave up
 */
public record DeadLetter(String id, String messageId, List<String> recipients, String subject, String relay,
                         FailureCategory category, String reply, String remedy, Reason reason, int attempts,
                         Instant firstSubmitted, Instant deadLettered) {

    /** Why the queue gave up. */
    public enum Reason {
        /** The relay refused the mail with a permanent (5xx) reply: sending it again unchanged would fail again. */
        REJECTED,
        /**
         * Transient failures lasted longer than the retry schedule's lifetime, or (category
         * {@link FailureCategory#EXPIRED}) the link the mail carried expired before it could be sent.
         */
        EXPIRED,
        /**
         * Every recipient is on the suppression list (category {@link FailureCategory#RECIPIENT_SUPPRESSED}): the
         * relay never saw the mail. Retrying it after removing the address from the list sends it.
         */
        SUPPRESSED
    }

    public DeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(firstSubmitted, "firstSubmitted");
        Objects.requireNonNull(deadLettered, "deadLettered");
        recipients = List.copyOf(recipients);
        subject = subject == null ? "" : subject;
        relay = relay == null ? "" : relay;
        reply = reply == null ? "" : reply;
        remedy = remedy == null ? "" : remedy;
    }

    /** The same dead letter under another spool id. */
    DeadLetter withId(String newId) {
        return new DeadLetter(newId, messageId, recipients, subject, relay, category, reply, remedy, reason, attempts,
                firstSubmitted, deadLettered);
    }
}
