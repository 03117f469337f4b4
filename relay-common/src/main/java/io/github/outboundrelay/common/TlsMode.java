package io.github.outboundrelay.common;

import java.util.Locale;

/** How the connection to the relay is protected. There is no "STARTTLS if available": that can be stripped. */
public enum TlsMode {
    /** Plain connect, then STARTTLS, which is required: a relay that does not offer it is refused. Port 587. */
    STARTTLS(587),
    /** TLS from the first byte ("SMTPS"). Port 465. */
    IMPLICIT_TLS(465),
    /** No encryption. Only for a relay on the same host or a trusted network; AUTH is refused on it by default. */
    NONE(25);

    private final int defaultPort;

    TlsMode(int defaultPort) {
        this.defaultPort = defaultPort;
    }

    public int defaultPort() {
        return defaultPort;
    }

    /** Parses the names people type: {@code starttls}, {@code implicit}, {@code ssl}, {@code smtps}, {@code none}. */
    public static TlsMode parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (t) {
            case "starttls", "start_tls", "tls" -> STARTTLS;
            case "implicit", "implicit_tls", "ssl", "smtps" -> IMPLICIT_TLS;
            case "none", "plain", "plaintext" -> NONE;
            default -> throw new InvalidInputException("tlsMode", "'" + text + "' is not a TLS mode",
                    "Use starttls (port 587), implicit (port 465) or none");
        };
    }
}
