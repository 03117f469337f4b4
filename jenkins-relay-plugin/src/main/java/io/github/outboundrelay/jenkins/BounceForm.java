package io.github.outboundrelay.jenkins;

import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.BounceMailboxSettings.Disposition;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.TlsMode;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The bounce part of the settings page as text, parsed into relay-common's validated bounce settings: the mailbox
 * the relay's reports arrive in, and the limits of the rates and of soft bounces. Every failure is an
 * {@link InvalidInputException} naming the page's field and the fix, as {@link RelayForm}'s are. The mailbox uses
 * the page's trust settings and timeouts: the same TLS rules as the relays (docs/bounces.md).
 */
final class BounceForm {
    static final WholeNumber POLL_MINUTES = new WholeNumber("bouncePollMinutes", 1, 1440,
            "minutes between two reads of the bounce mailbox");
    static final WholeNumber SOFT_BOUNCE_LIMIT = new WholeNumber("softBounceLimit", 1, 1000,
            "soft bounces after which an address is suppressed");

    private BounceForm() {
    }

    /** The mailbox fields; an empty host means no mailbox. */
    record Mailbox(String host, String port, String tlsMode, String credentialsId, String folder, String disposition,
                   String moveTo) {
        boolean configured() {
            return !RelayForm.blank(host);
        }
    }

    /** The limit fields: rates as percentages, as the page shows them. */
    record Limits(String hardBounceWarningPercent, String hardBounceCriticalPercent, String complaintWarningPercent,
                  String complaintCriticalPercent, int softBounceLimit) {
    }

    /**
     * The mailbox settings, or null when no mailbox is configured.
     *
     * @param verpSender the relays' plain envelope sender when they send with VERP, else null
     *
     * @throws InvalidInputException naming the field that cannot be used
     */
    static BounceMailboxSettings mailbox(Mailbox form, RelayForm.Shared shared, RelayCredentialsLookup credentials,
                                         String verpSender) {
        if (!form.configured()) {
            return null;
        }
        TlsMode tls = tlsMode(form.tlsMode());
        BounceMailboxSettings.Builder b = BounceMailboxSettings.builder()
                .host(form.host().trim())
                .tlsMode(tls)
                .authentication(login(form.credentialsId(), credentials))
                .folder(RelayForm.blank(form.folder()) ? "INBOX" : form.folder().trim())
                .disposition(disposition(form.disposition()))
                .moveTo(RelayForm.blank(form.moveTo()) ? null : form.moveTo().trim())
                .trust(RelayForm.trust(shared))
                .timeouts(RelayForm.timeouts(shared))
                .verpSender(verpSender);
        if (!RelayForm.blank(form.port())) {
            b.port(port(form.port()));
        }
        return b.build();
    }

    static TlsMode tlsMode(String text) {
        if (RelayForm.blank(text)) {
            return TlsMode.IMPLICIT_TLS;
        }
        TlsMode mode;
        try {
            mode = TlsMode.parse(text);
        } catch (InvalidInputException e) {
            throw new InvalidInputException("bounceTlsMode", e.problem(), "Choose implicit TLS (port 993) or STARTTLS (port 143)");
        }
        if (mode == TlsMode.NONE) {
            throw new InvalidInputException("bounceTlsMode", "is none", "Choose implicit TLS (port 993) or STARTTLS "
                    + "(port 143): the mailbox password never crosses the network in plain text");
        }
        return mode;
    }

    static int port(String text) {
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException("bouncePort", "'" + text + "' is not a number",
                    "Use 993 for implicit TLS or 143 for STARTTLS, or leave it empty for the mode's usual port");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidInputException("bouncePort", "is " + port + ", outside 1..65535",
                    "Use 993 for implicit TLS or 143 for STARTTLS");
        }
        return port;
    }

    static Disposition disposition(String text) {
        if (RelayForm.blank(text)) {
            return Disposition.FLAG;
        }
        try {
            return Disposition.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("bounceDisposition", "'" + text + "' is not a choice",
                    "Choose FLAG (mark read reports), MOVE (to another folder) or DELETE");
        }
    }

    /** The mailbox login: a "Username with password" credential, as the relays' logins are. */
    static Authentication login(String credentialsId, RelayCredentialsLookup credentials) {
        if (RelayForm.blank(credentialsId)) {
            throw new InvalidInputException("bounceCredentialsId", "is empty",
                    "Choose the \"Username with password\" credential of the bounce mailbox, or add one under Manage Jenkins > Credentials");
        }
        StandardUsernamePasswordCredentials c = credentials.find(credentialsId.trim());
        if (c == null) {
            throw new InvalidInputException("bounceCredentialsId", "'" + credentialsId + "' does not exist or is not a username/password credential",
                    "Choose an existing \"Username with password\" credential in the System (Jenkins) store");
        }
        return Authentication.password(c.getUsername(), Secret.of(hudson.util.Secret.toString(c.getPassword())));
    }

    /**
     * The limits.
     *
     * @throws InvalidInputException naming the field that cannot be used
     */
    static BounceLimits limits(Limits form) {
        double hardWarning = rate("hardBounceWarningPercent", form.hardBounceWarningPercent());
        double hardCritical = rate("hardBounceCriticalPercent", form.hardBounceCriticalPercent());
        double complaintWarning = rate("complaintWarningPercent", form.complaintWarningPercent());
        double complaintCritical = rate("complaintCriticalPercent", form.complaintCriticalPercent());
        if (hardWarning > hardCritical) {
            throw new InvalidInputException("hardBounceWarningPercent", "is above the critical level",
                    "Make the warning level at most the critical level, such as 5 and 10");
        }
        if (complaintWarning > complaintCritical) {
            throw new InvalidInputException("complaintWarningPercent", "is above the critical level",
                    "Make the warning level at most the critical level, such as 0.1 and 0.5");
        }
        SOFT_BOUNCE_LIMIT.check(form.softBounceLimit());
        return new BounceLimits(hardWarning, hardCritical, complaintWarning, complaintCritical, form.softBounceLimit());
    }

    /** A percentage field as a rate: "5" is 0.05. */
    static double rate(String field, String percent) {
        BigDecimal value;
        try {
            value = new BigDecimal(percent == null ? "" : percent.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(field, "'" + percent + "' is not a percentage", "Give a percentage such as 5 or 0.1");
        }
        if (value.signum() <= 0 || value.compareTo(BigDecimal.valueOf(100)) > 0) {
            throw new InvalidInputException(field, "is " + value.toPlainString() + " %, outside 0..100",
                    "Give a percentage above 0 and at most 100, such as 5 or 0.1");
        }
        return value.movePointLeft(2).doubleValue();
    }

    /** A rate as the page's percentage text: 0.05 is "5", 0.001 is "0.1". */
    static String percent(double rate) {
        return BigDecimal.valueOf(rate).movePointRight(2).stripTrailingZeros().toPlainString();
    }
}
