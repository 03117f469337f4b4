package io.github.outboundrelay.common;

import java.time.Duration;
import java.util.List;

/**
 * What the relay said about one sent mail.
 *
 * @param messageId        the Message-ID header of the mail
 * @param relay            {@code host:port} of the relay that took it
 * @param accepted         recipients the relay accepted
 * @param rejected         recipients it refused, each with the reply; the mail still went to the accepted ones
 * @param finalReply       the relay's answer to the end of DATA, usually {@code 250 2.0.0 Ok: queued as ...}
 * @param duration         from asking for a connection to the final reply
 * @param reusedConnection whether an already open connection carried the mail
 */
public record Receipt(String messageId, String relay, List<String> accepted, List<RejectedRecipient> rejected,
                      SmtpReply finalReply, Duration duration, boolean reusedConnection) {

    public Receipt {
        accepted = List.copyOf(accepted);
        rejected = List.copyOf(rejected);
    }

    /** A recipient the relay refused while accepting the mail for others. */
    public record RejectedRecipient(String address, SmtpReply reply, FailureCategory category) {
    }
}
