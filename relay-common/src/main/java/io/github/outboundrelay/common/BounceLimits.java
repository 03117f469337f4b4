package io.github.outboundrelay.common;


/**
 * When the rates warn, and how many soft bounces suppress an address. The defaults are Amazon SES's published
 * review and pause levels (bounces 5 % / 10 %, complaints 0.1 % / 0.5 %), the strictest of the large relays.
 *
 * @param hardBounceWarning   hard-bounce rate that warns (0.05 = 5 %)
 * @param hardBounceCritical  hard-bounce rate at which relays pause senders
 * @param complaintWarning    complaint rate that warns
 * @param complaintCritical   complaint rate at which relays pause senders
 * @param softBounceLimit     soft bounces after which an address is suppressed
 */
public record BounceLimits(double hardBounceWarning, double hardBounceCritical, double complaintWarning,
                           double complaintCritical, int softBounceLimit) {

    public static final BounceLimits DEFAULT = new BounceLimits(0.05, 0.10, 0.001, 0.005, 5);

    public BounceLimits {
        rate("hardBounceWarning", hardBounceWarning);
        rate("hardBounceCritical", hardBounceCritical);
        rate("complaintWarning", complaintWarning);
        rate("complaintCritical", complaintCritical);
        if (hardBounceWarning > hardBounceCritical || complaintWarning > complaintCritical) {
            throw new InvalidInputException("bounceThresholds", "a warning level is above its critical level",
                    "Make each warning level at most its critical level");
        }
        if (softBounceLimit < 1) {
            throw new InvalidInputException("softBounceLimit", "is " + softBounceLimit,
                    "Give the number of soft bounces after which an address is suppressed, at least 1");
        }
    }

    private static void rate(String field, double value) {
        if (!(value > 0 && value <= 1)) {
            throw new InvalidInputException(field, "is " + value, "Give a rate above 0 and at most 1 (0.05 is 5 %)");
        }
    }
}
