package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A realm's bounce mailbox, from its Outbound relay tab (docs/bounces.md): where the relay's bounce reports arrive, how
 * often it is read, and whether a suppressed address's users lose their verified email. No mailbox (host empty): the
 * realm still keeps a suppression list, changed by hand only. The password is the component's secret property: the
 * console shows it masked, no GET returns it, and it may be a vault reference; it never appears in {@link #toString()}
 * nor {@link #describe()}.
 *
 * @param mailbox        the IMAP mailbox, or null when none is configured
 * @param pollInterval   how often the mailbox is read
 * @param markUnverified whether the users of a suppressed address get "email verified" turned off
 */
record BounceOptions(BounceMailboxSettings mailbox, Duration pollInterval, boolean markUnverified, boolean verp) {
    static final String HOST = "bounceHost";
    static final String PORT = "bouncePort";
    static final String TLS_MODE = "bounceTlsMode";
    static final String USER = "bounceUser";
    static final String PASSWORD = "bouncePassword";
    static final String FOLDER = "bounceFolder";
    static final String DISPOSITION = "bounceDisposition";
    static final String MOVE_TO = "bounceMoveTo";
    static final String POLL_MINUTES = "bouncePollMinutes";
    static final String MARK_UNVERIFIED = "bounceMarkUnverified";
    static final String VERP = "bounceVerp";

    static final int DEFAULT_POLL_MINUTES = 5;
    static final BounceOptions NONE = new BounceOptions(null, Duration.ofMinutes(DEFAULT_POLL_MINUTES), true, false);

    /**
     * Reads the tab's bounce fields.
     *
     * @param secrets resolves a vault reference in the password
     * @param trust   the server's trust settings, which the mailbox's certificate must pass as a relay's does
     * @throws InvalidInputException naming the tab field to fix, and how
     */
    static BounceOptions parse(Map<String, List<String>> config, UnaryOperator<String> secrets, TrustSettings trust) {
        if (config == null) {
            return NONE;
        }
        boolean markUnverified = !"false".equalsIgnoreCase(text(config, MARK_UNVERIFIED));
        boolean verp = "true".equalsIgnoreCase(text(config, VERP));
        int minutes = minutes(text(config, POLL_MINUTES));
        String host = text(config, HOST);
        if (host == null) {
            if (verp) {
                throw new InvalidInputException(VERP, "is on without a bounce mailbox",
                        "Set the bounce mailbox that reads the reports, or turn VERP off");
            }
            return new BounceOptions(null, Duration.ofMinutes(minutes), markUnverified, false);
        }
        TlsMode mode = tlsMode(text(config, TLS_MODE));
        String user = text(config, USER);
        if (user == null) {
            throw new InvalidInputException(USER, "is empty while a bounce mailbox host is set",
                    "Enter the mailbox's IMAP user, or clear the bounce mailbox host to read no mailbox");
        }
        String password = text(config, PASSWORD);
        if (password == null) {
            throw new InvalidInputException(PASSWORD, "is empty while a bounce mailbox host is set",
                    "Enter the mailbox's password (or app password), or a vault reference such as ${vault.bounce-password}");
        }
        BounceMailboxSettings.Builder mailbox = BounceMailboxSettings.builder().host(host).tlsMode(mode)
                .authentication(Authentication.password(user, Secret.of(secrets.apply(password))))
                .folder(text(config, FOLDER) == null ? "INBOX" : text(config, FOLDER))
                .disposition(disposition(text(config, DISPOSITION)))
                .moveTo(text(config, MOVE_TO))
                .trust(trust);
        String port = text(config, PORT);
        if (port != null) {
            try {
                mailbox.port(Integer.parseInt(port));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(PORT, "'" + port + "' is not a port number",
                        "Give 993 for implicit TLS or 143 for STARTTLS, or leave it empty for the TLS mode's usual port");
            }
        }
        return new BounceOptions(mailbox.build(), Duration.ofMinutes(minutes), markUnverified, verp);
    }

    /**
     * Refuses a save that would send the saved mailbox password to another mailbox: Keycloak keeps a secret property
     * the console sends back masked, so a changed host, port, TLS mode or user with an unchanged password would log in
     * to a server the saved password was never meant for (as the Email tab's password is guarded, docs/keycloak.md).
     *
     * @param saved    the component as stored, or null on the first save
     * @param proposed the component about to be stored, secrets already merged by Keycloak
     */
    static java.util.Optional<InvalidInputException> passwordMoved(Map<String, List<String>> saved,
                                                                    Map<String, List<String>> proposed) {
        if (saved == null || proposed == null || text(saved, PASSWORD) == null
                || !java.util.Objects.equals(text(saved, PASSWORD), text(proposed, PASSWORD))) {
            return java.util.Optional.empty();
        }
        List<String> moved = new java.util.ArrayList<>();
        for (String key : List.of(HOST, PORT, TLS_MODE, USER)) {
            if (!java.util.Objects.equals(normalized(key, text(saved, key)), normalized(key, text(proposed, key)))) {
                moved.add(key);
            }
        }
        if (moved.isEmpty() || text(proposed, HOST) == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new InvalidInputException(PASSWORD, "the saved password would go to another mailbox ("
                + String.join(", ", moved) + " changed)", "Type the mailbox password again; if it is the same password, "
                + "first save the tab with the bounce mailbox host and password cleared, then enter both"));
    }

    private static String normalized(String key, String value) {
        if (value == null) {
            return key.equals(TLS_MODE) ? "implicit" : null;
        }
        return key.equals(HOST) || key.equals(TLS_MODE) ? value.toLowerCase(Locale.ROOT) : value;
    }

    boolean mailboxConfigured() {
        return mailbox != null;
    }

    /**
     * These options with VERP matching for reports returned to {@code envelopeSender}'s VERP form, the relay's own
     * envelope sender ({@link RelayConfiguration#withBounces}).
     */
    BounceOptions withVerpSender(String envelopeSender) {
        BounceMailboxSettings m = mailbox;
        return new BounceOptions(new BounceMailboxSettings(m.host(), m.port(), m.tlsMode(), m.authentication(), m.folder(),
                m.disposition(), m.moveTo(), m.trust(), m.timeouts(), m.maxPerPoll(), envelopeSender), pollInterval,
                markUnverified, verp);
    }

    /** For the diagnostics resource: names and numbers only, never the password. */
    Map<String, Object> describe() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mailboxConfigured", mailbox != null);
        if (mailbox != null) {
            m.put("host", mailbox.host());
            m.put("port", mailbox.port());
            m.put("tlsMode", mailbox.tlsMode().name());
            m.put("user", mailbox.user());
            m.put("folder", mailbox.folder());
            m.put("disposition", mailbox.disposition().name());
            m.put("moveTo", mailbox.moveTo());
        }
        m.put("pollMinutes", pollInterval.toMinutes());
        m.put("markUnverified", markUnverified);
        m.put("verp", verp);
        return m;
    }

    @Override
    public String toString() {
        return "BounceOptions" + describe();
    }

    private static TlsMode tlsMode(String value) {
        if (value == null || value.equalsIgnoreCase("implicit")) {
            return TlsMode.IMPLICIT_TLS;
        }
        if (value.equalsIgnoreCase("starttls")) {
            return TlsMode.STARTTLS;
        }
        throw new InvalidInputException(TLS_MODE, "is '" + value + "'",
                "Choose implicit (port 993) or starttls (port 143): the mailbox password never crosses in plain text");
    }

    private static BounceMailboxSettings.Disposition disposition(String value) {
        if (value == null) {
            return BounceMailboxSettings.Disposition.FLAG;
        }
        try {
            return BounceMailboxSettings.Disposition.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(DISPOSITION, "is '" + value + "'",
                    "Choose flag (mark read and keep), move (to the 'Move processed reports to' folder) or delete");
        }
    }

    private static int minutes(String value) {
        if (value == null) {
            return DEFAULT_POLL_MINUTES;
        }
        try {
            int minutes = Integer.parseInt(value);
            if (minutes >= 1 && minutes <= 1440) {
                return minutes;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidInputException(POLL_MINUTES, "is '" + value + "', not a number of minutes from 1 to 1440",
                "Give how often the bounce mailbox is read, such as 5, or leave it empty for 5");
    }

    private static String text(Map<String, List<String>> config, String key) {
        List<String> values = config.get(key);
        if (values == null || values.isEmpty() || values.get(0) == null || values.get(0).isBlank()) {
            return null;
        }
        return values.get(0).strip();
    }
}
