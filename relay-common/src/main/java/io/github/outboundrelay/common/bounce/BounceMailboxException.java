package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMailboxFailure;

/**
 * The bounce mailbox could not be read or a report not marked: a category, what happened, and the remedy.
 * The message never holds the password or token.
 */
public final class BounceMailboxException extends Exception {
    private final BounceMailboxFailure category;
    private final String detail;

    BounceMailboxException(BounceMailboxFailure category, String detail, Throwable cause) {
        super(category + ": " + detail, cause);
        this.category = category;
        this.detail = detail;
    }

    public BounceMailboxFailure category() {
        return category;
    }

    /** What happened, in one line: the server's words or the exception's. */
    public String detail() {
        return detail;
    }

    public String remedy() {
        return category.remedy();
    }
}
