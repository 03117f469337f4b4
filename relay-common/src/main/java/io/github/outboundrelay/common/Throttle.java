package io.github.outboundrelay.common;

/**
 * How fast the queue may hand mail to one relay. Relays enforce such limits per account and count two things:
 * messages (Microsoft 365: 30 per minute) and recipients (Microsoft 365: 10,000 per day; many providers: a few
 * hundred per hour), and answer over-limit mail with 4xx or a locked account: staying under them is cheaper than
 * retrying. A mail to N addresses takes one message permit and N recipient permits. Mail over a limit waits in the
 * queue; it is never dropped, and a mail with more recipients than a recipient limit's burst still goes once the
 * budget is full (the mails after it wait longer). Zero means no limit. Concurrent connections are capped by
 * {@link RelaySettings#maxConnections()}.
 *
 * <pre>{@code
 * Throttle.perMinute(30).andPerHour(1_000).andRecipientsPerHour(400)
 * }</pre>
 *
 * @param perMinute           messages per minute at most, or 0
 * @param perHour             messages per hour at most, or 0
 * @param recipientsPerMinute recipients (to, cc and bcc of every mail) per minute at most, or 0
 * @param recipientsPerHour   recipients per hour at most, or 0
 */
public record Throttle(int perMinute, int perHour, int recipientsPerMinute, int recipientsPerHour) {
    /** No rate limit. */
    public static final Throttle NONE = new Throttle(0, 0, 0, 0);

    public Throttle {
        requireLimit("messagesPerMinute", perMinute);
        requireLimit("messagesPerHour", perHour);
        requireLimit("recipientsPerMinute", recipientsPerMinute);
        requireLimit("recipientsPerHour", recipientsPerHour);
    }

    /** Message limits only. */
    public Throttle(int perMinute, int perHour) {
        this(perMinute, perHour, 0, 0);
    }

    public static Throttle perMinute(int messages) {
        return new Throttle(messages, 0);
    }

    public static Throttle perHour(int messages) {
        return new Throttle(0, messages);
    }

    public Throttle andPerHour(int messages) {
        return new Throttle(perMinute, messages, recipientsPerMinute, recipientsPerHour);
    }

    public Throttle andRecipientsPerMinute(int recipients) {
        return new Throttle(perMinute, perHour, recipients, recipientsPerHour);
    }

    public Throttle andRecipientsPerHour(int recipients) {
        return new Throttle(perMinute, perHour, recipientsPerMinute, recipients);
    }

    public boolean isUnlimited() {
        return perMinute == 0 && perHour == 0 && recipientsPerMinute == 0 && recipientsPerHour == 0;
    }

    private static void requireLimit(String field, int value) {
        if (value < 0) {
            throw new InvalidInputException(field, "is " + value, "Use 0 for no limit or a positive number");
        }
    }
}
