package io.github.outboundrelay.common.failure;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.SmtpReply;

import java.util.List;
import java.util.Locale;

/**
 * Turns a category and the server's reply into advice a person can follow. Vendor hints are matched on the reply
 * text the big relays actually send, so that "535" becomes "enable SMTP AUTH for this mailbox".
 */
public final class Remedies {
    private record Hint(FailureCategory category, String needle, String advice) {
    }

    private static final List<Hint> HINTS = List.of(
            new Hint(FailureCategory.AUTH_FAILED, "smtpclientauthentication", "Microsoft 365 has SMTP AUTH disabled for this mailbox or tenant: enable Authenticated SMTP for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false), or use OAuth2."),
            new Hint(FailureCategory.AUTH_FAILED, "5.7.139", "Microsoft 365 refused basic authentication: enable SMTP AUTH for the mailbox, check that security defaults do not block it, or use OAuth2."),
            new Hint(FailureCategory.AUTH_FAILED, "gsmtp", "Google Workspace: use an app password (needs 2-Step Verification) or OAuth2, and the full address as user name."),
            new Hint(FailureCategory.AUTH_FAILED, "username and password not accepted", "Google Workspace: use an app password (needs 2-Step Verification) or OAuth2, and the full address as user name."),
            new Hint(FailureCategory.AUTH_FAILED, "not authenticated", "The relay requires authentication before it takes mail: configure a user name and password (or OAuth2) for it."),
            new Hint(FailureCategory.AUTH_FAILED, "authentication required", "The relay requires authentication before it takes mail: configure a user name and password (or OAuth2) for it."),
            new Hint(FailureCategory.AUTH_FAILED, "5.7.3", "Microsoft 365: check the password; an account with MFA needs an app password or OAuth2."),
            new Hint(FailureCategory.SENDER_REJECTED, "sendasdenied", "Microsoft 365: the authenticated mailbox may not send as this From address; grant it Send As permission or use its own address."),
            new Hint(FailureCategory.SENDER_REJECTED, "not verified", "Amazon SES: verify the sender address or domain in the SES console (and request production access to leave the sandbox)."),
            new Hint(FailureCategory.RELAY_DENIED, "5.7.1", "this relay does not accept mail for outside domains from this client: authenticate, or have this host's address allowed to relay."),
            new Hint(FailureCategory.MESSAGE_REJECTED, "5.3.4", "the message is larger than the relay accepts: send a smaller message."));

    private Remedies() {
    }

    public static String remedy(FailureCategory category, SmtpReply reply) {
        String lead = reply == null ? "" : "The relay answered " + reply.code()
                + (reply.enhanced().isEmpty() ? "" : " " + reply.enhanced()) + ": ";
        String text = reply == null ? "" : reply.toString().toLowerCase(Locale.ROOT);
        for (Hint hint : HINTS) {
            if (hint.category == category && text.contains(hint.needle)) {
                return lead + hint.advice; // Hints start with a vendor's name: keep its capital.
            }
        }
        String advice = category.remedy();
        if (category == FailureCategory.AUTH_FAILED) {
            advice = advice + " Microsoft 365 needs SMTP AUTH enabled for this mailbox; Google needs an app password.";
        }
        return join(lead, advice);
    }

    private static String join(String lead, String advice) {
        return lead.isEmpty() ? advice : lead + Character.toLowerCase(advice.charAt(0)) + advice.substring(1);
    }
}
