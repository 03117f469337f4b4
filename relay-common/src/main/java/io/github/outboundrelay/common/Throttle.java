package io.github.outboundrelay.common;

/**
 * How fast the queue may hand mail to one relay. Relays enforce such limits per account (Microsoft 365: 30 per
 * minute; many providers: a few hundred per hour) and answer over-limit mail with 4xx or a locked account: staying
 * under them is cheaper than retrying. Mail over the limit waits in the queue; it is never dropped. Zero means no
 * limit. Concurrent connections are capped by {@link RelaySettings#maxConnections()}.
 *
 * <pre>{@code
 * Throttle.perMinute(30).andPerHour(1_000)
 * }</pre>
 *
 * @param perMinute messages per minute at most, or 0
 * @param perHour   messages per hour at most, or 0
 */
public record Throttle(int perMinute, int perHour) {
    /** No rate limit. */
    public static final Throttle NONE = new Throttle(0, 0);

    public Throttle {
        if (perMinute < 0) {
            throw new InvalidInputException("messagesPerMinute", "is " + perMinute, "Use 0 for no limit or a positive number");
        }
        if (perHour < 0) {
            throw new InvalidInputException("messagesPerHour", "is " + perHour, "Use 0 for no limit or a positive number");
        }
    }

    public static Throttle perMinute(int messages) {
        return new Throttle(messages, 0);
    }

    public static Throttle perHour(int messages) {
        return new Throttle(0, messages);
    }

    public Throttle andPerHour(int messages) {
        return new Throttle(perMinute, messages);
    }

    public boolean isUnlimited() {
        return perMinute == 0 && perHour == 0;
    }
}
