package io.github.outboundrelay.common;

import io.github.outboundrelay.common.tls.TlsPolicy;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything needed to reach one relay, validated once. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * RelaySettings settings = RelaySettings.builder()
 *         .host("smtp.office365.com").port(587).tlsMode(TlsMode.STARTTLS)
 *         .authentication(Authentication.password("jenkins@example.com", Secret.of(pw)))
 *         .from(MailAddress.of("jenkins@example.com", "Jenkins", "from"))
 *         .build();
 * }</pre>
 *
 * @param host                     the relay's host name or address
 * @param port                     its port: 587 for STARTTLS, 465 for implicit TLS
 * @param tlsMode                  how the connection is protected
 * @param authentication           how the client authenticates
 * @param timeouts                 connect, read and write bounds
 * @param trust                    which certificates are accepted
 * @param from                     the default From of every message, or null when each message names one
 * @param replyTo                  the default Reply-To, or null
 * @param envelopeFrom             the SMTP MAIL FROM (bounce address) when it differs from From, or null
 * @param allowUtf8                whether non-ASCII addresses may be sent (needs a relay offering SMTPUTF8)
 * @param allowCredentialsOverPlaintext whether AUTH may be sent without TLS: exposes the password to the network
 * @param maskRecipients           whether logs and delivery events mask recipient addresses
 * @param heloName                 the name given in EHLO, or null for this host's name
 * @param maxConnections           open connections kept to this relay at most
 * @param idleTimeout              how long an unused connection stays open
 * @param maxMessageBytes          the largest message accepted for sending ({@link OutboundMessage#contentBytes()});
 *                                 a larger one is refused before it is queued or sent
 * @param verp                     whether a mail to one recipient goes out with a VERP envelope sender naming it
 *                                 ({@code bounces+ghost=example.org@mailbox.test}), so that its bounce report is
 *                                 matched to that recipient whatever the report says; needs plus addressing on the
 *                                 bounce mailbox. The queue sends a mail to several recipients as one mail per
 *                                 recipient to get there; {@link RelayClient#send} sends it as it is, with the plain
 *                                 envelope sender
 */
public record RelaySettings(
        String host,
        int port,
        TlsMode tlsMode,
        Authentication authentication,
        Timeouts timeouts,
        TrustSettings trust,
        MailAddress from,
        MailAddress replyTo,
        MailAddress envelopeFrom,
        boolean allowUtf8,
        boolean allowCredentialsOverPlaintext,
        boolean maskRecipients,
        String heloName,
        int maxConnections,
        Duration idleTimeout,
        long maxMessageBytes,
        boolean verp) {

    public static final int DEFAULT_MAX_CONNECTIONS = 4;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** 25 MiB: what the common relays accept (Gmail's limit; Microsoft 365 and others allow somewhat more). */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 25L << 20;
    /** The largest cap that can be set: Microsoft 365's own maximum (150 MB), well inside what a spool entry holds. */
    public static final long MAX_MAX_MESSAGE_BYTES = 150L << 20;

    public RelaySettings {
        Objects.requireNonNull(tlsMode, "tlsMode");
        Objects.requireNonNull(authentication, "authentication");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(trust, "trust");
        checkHost(host);
        checkPort(port);
        TlsPolicy.checkCredentialsProtected(tlsMode, authentication, allowCredentialsOverPlaintext);
        if (heloName != null) {
            MailAddress.rejectControlCharacters(heloName, "heloName");
            if (heloName.isBlank() || heloName.contains(" ")) {
                throw new InvalidInputException("heloName", "'" + heloName + "' is not a host name",
                        "Give this host's fully qualified name, or leave it empty");
            }
        }
        if (maxConnections < 1 || maxConnections > 100) {
            throw new InvalidInputException("maxConnections", "is " + maxConnections + ", outside 1..100",
                    "Use a small number such as 4; most relays limit concurrent connections per account");
        }
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new InvalidInputException("idleTimeout", "is " + idleTimeout + ", outside 0..10 minutes",
                    "Use a value such as 60 s; relays drop idle connections after a few minutes anyway");
        }
        if (maxMessageBytes < 1024 || maxMessageBytes > MAX_MAX_MESSAGE_BYTES) {
            throw new InvalidInputException("maxMessageBytes", "is " + maxMessageBytes + ", outside 1024.." + MAX_MAX_MESSAGE_BYTES
                    + " bytes (150 MiB)", "Use the largest message the relay accepts, such as " + DEFAULT_MAX_MESSAGE_BYTES
                    + " (25 MiB, the default)");
        }
    }

    /**
     * Refuses a message larger than {@link #maxMessageBytes}, before it is queued or sent.
     *
     * @throws InvalidInputException naming the limit and the {@code maxMessageBytes} setting
     */
    void checkSize(OutboundMessage message) {
        if (message.contentBytesAtMost() <= maxMessageBytes) {
            return; // the usual mail: its bytes are not counted, the upper bound is far below the limit
        }
        long size = message.contentBytes();
        if (size > maxMessageBytes) {
            throw new InvalidInputException("maxMessageBytes", "the message is " + mebibytes(size) + " (" + size
                    + " bytes), above the limit of " + mebibytes(maxMessageBytes) + " for relay " + relayName(),
                    "Send large content as a link rather than in the mail, or raise maxMessageBytes if the relay accepts "
                            + "larger mail; nothing was queued or sent");
        }
    }

    private static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change a few of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** {@code host:port}, the name of this relay in logs, receipts and metrics. */
    public String relayName() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    public Optional<MailAddress> defaultFrom() {
        return Optional.ofNullable(from);
    }

    private static void checkHost(String host) {
        if (host == null || host.isBlank()) {
            throw new InvalidInputException("host", "is empty", "Enter the relay's host name, such as smtp.example.com");
        }
        MailAddress.rejectControlCharacters(host, "host");
        if (host.contains("://")) {
            throw new InvalidInputException("host", "'" + host + "' is a URL", "Enter only the host name, such as smtp.example.com, without smtp://");
        }
        if (host.chars().anyMatch(Character::isWhitespace) || host.contains("/") || host.contains("@")) {
            throw new InvalidInputException("host", "'" + host + "' is not a host name", "Enter only the host name, such as smtp.example.com");
        }
        if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            throw new InvalidInputException("host", "'" + host + "' includes a port", "Put the port in the port field and only the host name here");
        }
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidInputException("port", "is " + port + ", outside 1..65535",
                    "Use 587 for STARTTLS or 465 for implicit TLS, as the relay's documentation says");
        }
    }

    @Override
    public String toString() {
        return "RelaySettings[" + relayName() + ", " + tlsMode + ", " + authentication + ", " + timeouts + ", " + trust + "]";
    }

    /** Defaults live here and nowhere else. Each setter takes its value; {@link #build()} validates the whole. */
    public static final class Builder {
        private String host;
        private Integer port;
        private TlsMode tlsMode = TlsMode.STARTTLS;
        private Authentication authentication = Authentication.NONE;
        private Timeouts timeouts = Timeouts.DEFAULT;
        private TrustSettings trust = TrustSettings.jvmDefault();
        private MailAddress from;
        private MailAddress replyTo;
        private MailAddress envelopeFrom;
        private boolean allowUtf8;
        private boolean allowCredentialsOverPlaintext;
        private boolean maskRecipients = true;
        private String heloName;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private boolean verp;

        private Builder() {
        }

        private Builder(RelaySettings s) {
            host = s.host;
            port = s.port;
            tlsMode = s.tlsMode;
            authentication = s.authentication;
            timeouts = s.timeouts;
            trust = s.trust;
            from = s.from;
            replyTo = s.replyTo;
            envelopeFrom = s.envelopeFrom;
            allowUtf8 = s.allowUtf8;
            allowCredentialsOverPlaintext = s.allowCredentialsOverPlaintext;
            maskRecipients = s.maskRecipients;
            heloName = s.heloName;
            maxConnections = s.maxConnections;
            idleTimeout = s.idleTimeout;
            maxMessageBytes = s.maxMessageBytes;
            verp = s.verp;
        }

        public Builder host(String host) {
            this.host = host == null ? null : host.strip();
            return this;
        }

        /** Without a port, the TLS mode's usual port is used (587, 465 or 25). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder tlsMode(TlsMode tlsMode) {
            this.tlsMode = Objects.requireNonNull(tlsMode, "tlsMode");
            return this;
        }

        public Builder authentication(Authentication authentication) {
            this.authentication = Objects.requireNonNull(authentication, "authentication");
            return this;
        }

        public Builder timeouts(Timeouts timeouts) {
            this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
            return this;
        }

        public Builder trust(TrustSettings trust) {
            this.trust = Objects.requireNonNull(trust, "trust");
            return this;
        }

        public Builder from(MailAddress from) {
            this.from = from;
            return this;
        }

        public Builder replyTo(MailAddress replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder envelopeFrom(MailAddress envelopeFrom) {
            this.envelopeFrom = envelopeFrom;
            return this;
        }

        public Builder allowUtf8(boolean allowUtf8) {
            this.allowUtf8 = allowUtf8;
            return this;
        }

        /** Lets AUTH cross an unencrypted connection. Only for a relay on this host: anyone on the path reads the password. */
        public Builder allowCredentialsOverPlaintext(boolean allow) {
            this.allowCredentialsOverPlaintext = allow;
            return this;
        }

        public Builder maskRecipients(boolean maskRecipients) {
            this.maskRecipients = maskRecipients;
            return this;
        }

        public Builder heloName(String heloName) {
            this.heloName = heloName == null || heloName.isBlank() ? null : heloName.strip();
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** The largest message accepted, in bytes of content ({@link OutboundMessage#contentBytes()}): 1 KiB to 150 MiB. */
        public Builder maxMessageBytes(long maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        /**
         * Sends each single-recipient mail with a VERP envelope sender, and has the queue send a mail to several
         * recipients as one such mail per recipient (see {@link RelaySettings#verp()}).
         */
        public Builder verp(boolean verp) {
            this.verp = verp;
            return this;
        }

        /** @throws InvalidInputException naming the first field that cannot be used, and how to fix it */
        public RelaySettings build() {
            int effectivePort = port == null ? tlsMode.defaultPort() : port;
            return new RelaySettings(host, effectivePort, tlsMode, authentication, timeouts, trust, from, replyTo,
                    envelopeFrom, allowUtf8, allowCredentialsOverPlaintext, maskRecipients, heloName, maxConnections,
                    idleTimeout, maxMessageBytes, verp);
        }
    }
}
