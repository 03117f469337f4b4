package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.DomainAllowList;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import java.util.List;

/**
 * What the administrator lets a job's mail do, so that a pipeline cannot turn the relay account into a spam
 * cannon or a phishing sender: the From is the page's unless jobs may choose one (and then only within the allowed
 * sender domains), a mail has at most so many recipients, and recipients may be limited to some domains. Checked
 * before the mail is queued: a refused mail is never stored.
 *
 * @param jobsMayChooseFrom whether a job's {@code from:} is honoured at all
 * @param senderDomains     where a job's From may be; empty: the page's From domain only
 * @param recipientDomains  where recipients may be; empty: anywhere
 * @param maxRecipients     recipients per mail (to, cc and bcc together) at most
 * @param pageFrom          the page's From address, or null when none is set
 */
record JobMailPolicy(boolean jobsMayChooseFrom, DomainAllowList senderDomains, DomainAllowList recipientDomains,
                     int maxRecipients, MailAddress pageFrom) {
    static final String PAGE = "Manage Jenkins » Outbound Email Relay";

    /**
     * @param recipientsField the job's field that named the recipients ({@code to}, {@code recipients}), for errors
     * @throws InvalidInputException naming the job's field and what to change, when the mail may not go
     */
    void check(OutboundMessage message, String recipientsField) {
        if (message.from() != null) {
            checkFrom(message.from());
        }
        List<MailAddress> recipients = message.recipients();
        if (recipients.size() > maxRecipients) {
            throw new InvalidInputException(recipientsField, recipients.size() + " recipients, more than the "
                    + maxRecipients + " a job may send one mail to",
                    "Send to a mailing list address instead, or ask an administrator to raise 'Most recipients per "
                            + "mail' under " + PAGE);
        }
        for (MailAddress recipient : recipients) {
            recipientDomains.check(recipient, recipientsField, "'Allowed recipient domains' under " + PAGE);
        }
    }

    private void checkFrom(MailAddress from) {
        if (!jobsMayChooseFrom) {
            throw new InvalidInputException("from", "jobs may not choose the From address on this Jenkins",
                    "Leave from out to send as " + (pageFrom == null ? "the page's From address" : pageFrom.address())
                            + ", or ask an administrator to turn on 'Let jobs choose the From address' under " + PAGE);
        }
        DomainAllowList allowed = senderDomains.isEmpty() && pageFrom != null
                ? DomainAllowList.parse(pageFrom.domain(), "fromAddress") : senderDomains;
        if (allowed.isEmpty() || !allowed.allows(from)) {
            throw new InvalidInputException("from", "'" + from.address() + "' is outside the allowed sender domains ("
                    + (allowed.isEmpty() ? "none" : allowed) + ")",
                    "Use an address at one of them, or ask an administrator to add its domain to 'Allowed sender "
                            + "domains' under " + PAGE);
        }
    }
}
