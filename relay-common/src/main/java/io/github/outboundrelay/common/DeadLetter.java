package io.github.outboundrelay.common;

import io.github.outboundrelay.common.json.Json;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

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

    /**
     * The dead letter as strings, numbers and lists, for an admin page, a REST answer or {@code --json}: the same
     * fields in every adapter, serialised with whatever JSON the host has. Times are ISO-8601.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", id);
        map.putAll(fields(Instant::toString));
        return map;
    }

    /**
     * The record as JSON text, for a {@link io.github.outboundrelay.common.spool.Spool} that stores it as text (the
     * Keycloak database spool); {@link #fromJson} reads it back. Times are epoch milliseconds; the id is not in it.
     */
    public String toJson() {
        return Json.write(fields(Instant::toEpochMilli));
    }

    /** Every field but the id, in one order for both forms; {@code time} writes the two instants. */
    private Map<String, Object> fields(Function<Instant, Object> time) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("messageId", messageId);
        map.put("recipients", recipients);
        map.put("subject", subject);
        map.put("relay", relay);
        map.put("category", category.name());
        map.put("reply", reply);
        map.put("remedy", remedy);
        map.put("reason", reason.name());
        map.put("attempts", (long) attempts);
        map.put("firstSubmitted", time.apply(firstSubmitted));
        map.put("deadLettered", time.apply(deadLettered));
        return map;
    }

    /**
     * Reads what {@link #toJson} wrote, under the spool id {@code id}.
     *
     * @throws IllegalArgumentException when the text is not such a record
     */
    @SuppressWarnings("unchecked")
    public static DeadLetter fromJson(String id, String json) {
        Map<String, Object> m = Json.parseObject(json);
        try {
            return new DeadLetter(id, (String) m.get("messageId"), (List<String>) m.get("recipients"),
                    (String) m.get("subject"), (String) m.get("relay"), FailureCategory.valueOf((String) m.get("category")),
                    (String) m.get("reply"), (String) m.get("remedy"), Reason.valueOf((String) m.get("reason")),
                    ((Number) m.get("attempts")).intValue(), Instant.ofEpochMilli(((Number) m.get("firstSubmitted")).longValue()),
                    Instant.ofEpochMilli(((Number) m.get("deadLettered")).longValue()));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("not a dead-letter record: " + e.getMessage(), e);
        }
    }

    /** The same dead letter under another spool id. */
    DeadLetter withId(String newId) {
        return new DeadLetter(newId, messageId, recipients, subject, relay, category, reply, remedy, reason, attempts,
                firstSubmitted, deadLettered);
    }
}
