package io.github.outboundrelay.common;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One address on the suppression list: suppressed after a hard bounce or a complaint, or counting soft bounces
 * toward the threshold (then {@code suppressed} is false until it is reached).
 *
 * @param address     the address, lower-cased (addresses are matched without regard to case, as mailbox
 *                    providers treat them)
 * @param suppressed  whether mail to it is stopped
 * @param reason      what put it there: hard, complaint, or soft (threshold reached, or counting)
 * @param status      the last reported status code, empty for a complaint
 * @param diagnostic  the last report's diagnostic, one line
 * @param softBounces soft bounces reported so far
 * @param since       when it was first reported
 * @param lastReport  when it was last reported
 */
public record Suppression(String address, boolean suppressed, BounceKind reason, String status, String diagnostic,
                          int softBounces, Instant since, Instant lastReport) {

    public Suppression {
        address = normalize(address);
        Objects.requireNonNull(reason, "reason");
        status = status == null ? "" : status;
        diagnostic = diagnostic == null ? "" : diagnostic.replaceAll("[\\t\\r\\n]+", " ");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastReport, "lastReport");
    }

    /** How the list keys an address. */
    public static String normalize(String address) {
        Objects.requireNonNull(address, "address");
        String a = address.strip().toLowerCase(Locale.ROOT);
        if (a.isEmpty() || a.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("not an address");
        }
        return a;
    }
}
