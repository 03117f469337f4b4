package io.github.outboundrelay.common;

/** What a report says about a recipient, as the suppression list and the rates count it. */
public enum BounceKind {
    /** Permanent failure (status 5.x.x, action failed): the address does not work; it is suppressed. */
    HARD,
    /** Transient failure (4.x.x, action delayed, or a full mailbox): it counts toward the soft-bounce threshold. */
    SOFT,
    /** The recipient marked the mail as spam (an RFC 5965 feedback report): it is suppressed. */
    COMPLAINT,
    /** Parsed as nothing known: counted and left alone for a person to read. */
    UNKNOWN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
