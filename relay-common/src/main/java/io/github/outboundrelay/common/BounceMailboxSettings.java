package io.github.outboundrelay.common;

import java.util.Objects;

/**
 * Where the bounce reports arrive: an IMAP mailbox, always over TLS (implicit on 993, or STARTTLS on 143, which is
 * then required), with a password or XOAUTH2, and the same trust settings and timeouts as a relay. Hostname
 * verification is always on.
 *
 * <pre>{@code
 * BounceMailboxSettings mailbox = BounceMailboxSettings.builder()
 *         .host("outlook.office365.com").tlsMode(TlsMode.IMPLICIT_TLS)
 *         .authentication(Authentication.password("bounces@example.com", Secret.of(pw)))
 *         .folder("INBOX").disposition(Disposition.MOVE).moveTo("Processed bounces")
 *         .build();
 * }</pre>
 *
 * @param host           the IMAP server
 * @param port           993 for implicit TLS, 143 for STARTTLS by default
 * @param tlsMode        {@link TlsMode#IMPLICIT_TLS} or {@link TlsMode#STARTTLS}; never none
 * @param authentication a password or OAuth2 (XOAUTH2); never none
 * @param folder         the folder the reports arrive in
 * @param disposition    what happens to a report once it is taken into account
 * @param moveTo         the folder reports are moved to with {@link Disposition#MOVE}, else null
 * @param trust          which server certificates are trusted
 * @param timeouts       bounds on connect, each read and each write
 * @param maxPerPoll     the most reports read in one poll, so that a flooded mailbox costs a bounded time
 * @param verpSender     the relay's plain envelope sender when it sends with VERP ({@code RelaySettings.verp}): a
 *                       report returned to its VERP form is about the recipient that form names; null when off
 */
public record BounceMailboxSettings(String host, int port, TlsMode tlsMode, Authentication authentication, String folder,
                                    Disposition disposition, String moveTo, TrustSettings trust, Timeouts timeouts,
                                    int maxPerPoll, String verpSender) {

    /** What happens to a report once read. A report is deleted only when a setting says so. */
    public enum Disposition {
        /** Marked \Seen and with the keyword {@value BounceMailbox#PROCESSED_KEYWORD}; stays in the folder. */
        FLAG,
        /** Moved to the folder {@code moveTo}, which must exist. */
        MOVE,
        /** Deleted and expunged. Only when an administrator chose it. */
        DELETE
    }

    public static final int DEFAULT_MAX_PER_POLL = 500;

    public BounceMailboxSettings {
        if (host == null || host.isBlank() || host.chars().anyMatch(c -> c <= ' ')) {
            throw new InvalidInputException("bounceHost", "'" + host + "' is not a host name", "Enter the IMAP server's host name");
        }
        Objects.requireNonNull(tlsMode, "tlsMode");
        if (tlsMode == TlsMode.NONE) {
            throw new InvalidInputException("bounceTlsMode", "is none", "Use implicit (port 993) or starttls (port 143): "
                    + "the mailbox password never crosses the network in plain text");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidInputException("bouncePort", "is " + port, "Give a port between 1 and 65535 (993 or 143)");
        }
        Objects.requireNonNull(authentication, "authentication");
        if (!authentication.required()) {
            throw new InvalidInputException("bounceUser", "is empty", "Give the mailbox user and its password or OAuth2 client");
        }
        if (folder == null || folder.isBlank()) {
            throw new InvalidInputException("bounceFolder", "is empty", "Give the folder the reports arrive in, such as INBOX");
        }
        Objects.requireNonNull(disposition, "disposition");
        if (disposition == Disposition.MOVE && (moveTo == null || moveTo.isBlank())) {
            throw new InvalidInputException("bounceMoveTo", "is empty", "Give the folder processed reports are moved to");
        }
        if (disposition != Disposition.MOVE) {
            moveTo = null;
        }
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(timeouts, "timeouts");
        if (verpSender != null && (verpSender.isBlank() || verpSender.indexOf('@') < 1)) {
            throw new InvalidInputException("bounceVerpSender", "'" + verpSender + "' is not an address",
                    "Give the relay's envelope sender (the bounce address), or leave VERP off");
        }
        if (maxPerPoll < 1) {
            throw new InvalidInputException("bounceMaxPerPoll", "is " + maxPerPoll, "Read at least one report per poll");
        }
    }

    /** 993 for implicit TLS, 143 for STARTTLS. */
    public static int defaultPort(TlsMode mode) {
        return mode == TlsMode.STARTTLS ? 143 : 993;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The user name, for messages. */
    public String user() {
        return authentication instanceof Authentication.Password p ? p.username()
                : authentication instanceof Authentication.OAuth2 o ? o.username() : "";
    }

    public static final class Builder {
        private String host;
        private Integer port;
        private TlsMode tlsMode = TlsMode.IMPLICIT_TLS;
        private Authentication authentication = Authentication.NONE;
        private String folder = "INBOX";
        private Disposition disposition = Disposition.FLAG;
        private String moveTo;
        private TrustSettings trust = TrustSettings.jvmDefault();
        private Timeouts timeouts = Timeouts.DEFAULT;
        private int maxPerPoll = DEFAULT_MAX_PER_POLL;
        private String verpSender;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder tlsMode(TlsMode tlsMode) {
            this.tlsMode = tlsMode;
            return this;
        }

        public Builder authentication(Authentication authentication) {
            this.authentication = authentication;
            return this;
        }

        public Builder folder(String folder) {
            this.folder = folder;
            return this;
        }

        public Builder disposition(Disposition disposition) {
            this.disposition = disposition;
            return this;
        }

        public Builder moveTo(String folder) {
            this.moveTo = folder;
            return this;
        }

        public Builder trust(TrustSettings trust) {
            this.trust = trust;
            return this;
        }

        public Builder timeouts(Timeouts timeouts) {
            this.timeouts = timeouts;
            return this;
        }

        public Builder maxPerPoll(int maxPerPoll) {
            this.maxPerPoll = maxPerPoll;
            return this;
        }

        /** Turns VERP matching on for reports returned to {@code envelopeSender}'s VERP form; null turns it off. */
        public Builder verpSender(String envelopeSender) {
            this.verpSender = envelopeSender;
            return this;
        }

        public BounceMailboxSettings build() {
            return new BounceMailboxSettings(host, port == null ? defaultPort(tlsMode) : port, tlsMode, authentication,
                    folder, disposition, moveTo, trust, timeouts, maxPerPoll, verpSender);
        }
    }
}
