package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import java.net.IDN;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads the realm's Email tab (Keycloak's {@code smtpServer} map) once into a {@link RelayConfiguration}. Every key the
 * admin console writes is honoured:
 * <ul>
 *   <li>{@code host}, {@code port} (empty: 587 with STARTTLS, 465 with SSL, 25 without either);</li>
 *   <li>{@code ssl} is implicit TLS; {@code starttls} is STARTTLS <em>required</em>, never "if offered"; both on is
 *       implicit TLS, as with Keycloak's own sender; neither is plaintext, which refuses AUTH;</li>
 *   <li>{@code auth} with {@code authType} {@code basic} ({@code user}, {@code password}) or {@code token}
 *       ({@code user}, {@code authTokenUrl}, {@code authTokenClientId}, {@code authTokenClientSecret},
 *       {@code authTokenScope}); secrets may be vault references such as {@code ${vault.smtp-password}};</li>
 *   <li>{@code from}, {@code fromDisplayName}, {@code replyTo}, {@code replyToDisplayName}, {@code envelopeFrom};</li>
 *   <li>{@code allowutf8}: without it, an internationalized domain is sent as punycode and a non-ASCII local part
 *       is refused, as Keycloak's own sender does;</li>
 *   <li>{@code connectionTimeout}, {@code timeout}, {@code writeTimeout} in milliseconds (default 10000 each);</li>
 *   <li>{@code debug}: never Angus's protocol dump, which would print the AUTH exchange and reset links; a failed
 *       delivery logs the probe's redacted transcript instead.</li>
 * </ul>
 * Errors name the Email tab's field, so an administrator knows which box to fix.
 */
final class SmtpServerMapping {
    static final int DEFAULT_TIMEOUT_MILLIS = 10_000;

    private SmtpServerMapping() {
    }

    /**
     * @param smtp    the realm's {@code smtpServer} map (or the console's proposed one)
     * @param secrets resolves a stored password or client secret, such as a vault reference, to its value
     * @throws InvalidInputException whose {@code field()} is the Email tab key (or tab field) to fix
     */
    static RelayConfiguration read(Map<String, String> smtp, UnaryOperator<String> secrets, ServerOptions server,
                                   RealmRelayOptions realm) {
        boolean allowUtf8 = flag(smtp, "allowutf8");
        try {
            RelaySettings settings = RelaySettings.builder()
                    .host(text(smtp, "host"))
                    .tlsMode(tlsMode(smtp))
                    .authentication(authentication(smtp, secrets))
                    .timeouts(new Timeouts(millis(smtp, "connectionTimeout"), millis(smtp, "timeout"), millis(smtp, "writeTimeout")))
                    .trust(realm.effectiveTrust(server))
                    .from(address(smtp, "from", "fromDisplayName", allowUtf8))
                    .replyTo(optionalAddress(smtp, "replyTo", "replyToDisplayName", allowUtf8))
                    .envelopeFrom(optionalAddress(smtp, "envelopeFrom", null, allowUtf8))
                    .allowUtf8(allowUtf8)
                    .allowCredentialsOverPlaintext(server.allowCredentialsOverPlaintext())
                    .maskRecipients(realm.effectiveMaskRecipients(server))
                    .heloName(server.heloName())
                    .maxConnections(server.maxConnections())
                    .maxMessageBytes(server.maxMessageBytes())
                    .port(port(smtp))
                    .build();
            return new RelayConfiguration(settings, realm, server, flag(smtp, "debug"));
        } catch (InvalidInputException e) {
            throw renamed(e);
        }
    }

    /**
     * A recipient as Keycloak hands it over: without {@code allowutf8}, the domain goes out as punycode.
     *
     * @throws InvalidInputException naming {@code to}
     */
    static MailAddress recipient(String address, boolean allowUtf8) {
        return MailAddress.of(ascii(address, allowUtf8, "to"), "", "to");
    }

    /** {@code ssl} wins over {@code starttls}, as in Keycloak's own sender; neither is plaintext. */
    static TlsMode tlsMode(Map<String, String> smtp) {
        if (flag(smtp, "ssl")) {
            return TlsMode.IMPLICIT_TLS;
        }
        return flag(smtp, "starttls") ? TlsMode.STARTTLS : TlsMode.NONE;
    }

    /**
     * Without a port, the TLS mode's usual one (the builder's default).
     *
     * @throws InvalidInputException naming {@code port} when it is not a number
     */
    static int port(Map<String, String> smtp) {
        String port = text(smtp, "port");
        if (port == null) {
            return tlsMode(smtp).defaultPort();
        }
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("port", "'" + port + "' is not a number",
                    "Use 587 for STARTTLS or 465 for SSL, as the relay's documentation says");
        }
    }

    private static Authentication authentication(Map<String, String> smtp, UnaryOperator<String> secrets) {
        if (!authenticates(smtp)) {
            return Authentication.NONE;
        }
        String type = text(smtp, "authType");
        String user = text(smtp, "user");
        switch (authType(smtp)) {
            case "basic" -> {
                return Authentication.password(user, Secret.of(secret(smtp, "password", secrets)));
            }
            case "token" -> {
                String url = text(smtp, "authTokenUrl");
                if (url == null) {
                    throw new InvalidInputException("authTokenUrl", "is empty", "Enter the identity provider's OAuth2 token endpoint");
                }
                URI tokenUrl;
                try {
                    tokenUrl = URI.create(url);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("authTokenUrl", "'" + url + "' is not a URL", "Enter the token endpoint as an https:// URL");
                }
                return Authentication.oauth2(user, tokenUrl, text(smtp, "authTokenClientId"),
                        Secret.of(secret(smtp, "authTokenClientSecret", secrets)), text(smtp, "authTokenScope"));
            }
            default -> throw new InvalidInputException("authType", "is '" + type + "'", "Choose basic (user name and password) or token (OAuth2)");
        }
    }

    private static String secret(Map<String, String> smtp, String key, UnaryOperator<String> secrets) {
        String raw = smtp.get(key);
        if (raw == null || raw.isEmpty()) {
            return "";
        }
        String value = secrets.apply(raw);
        return value == null ? "" : value;
    }

    private static Duration millis(Map<String, String> smtp, String key) {
        String value = text(smtp, key);
        if (value == null) {
            return Duration.ofMillis(DEFAULT_TIMEOUT_MILLIS);
        }
        try {
            return Duration.ofMillis(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw new InvalidInputException(key, "'" + value + "' is not a number of milliseconds", "Give a value such as 10000");
        }
    }

    private static MailAddress address(Map<String, String> smtp, String key, String nameKey, boolean allowUtf8) {
        String address = text(smtp, key);
        if (address == null) {
            throw new InvalidInputException(key, "is empty", "Enter the address mail is sent from, such as noreply@example.com");
        }
        return MailAddress.of(ascii(address, allowUtf8, key), nameKey == null ? null : smtp.get(nameKey), key);
    }

    private static MailAddress optionalAddress(Map<String, String> smtp, String key, String nameKey, boolean allowUtf8) {
        return text(smtp, key) == null ? null : address(smtp, key, nameKey, allowUtf8);
    }

    /** Punycode for the domain unless UTF-8 is allowed; a non-ASCII local part then needs SMTPUTF8 and is refused. */
    private static String ascii(String address, boolean allowUtf8, String field) {
        String trimmed = address.strip();
        int at = trimmed.lastIndexOf('@');
        if (allowUtf8 || at < 0) {
            return trimmed;
        }
        String local = trimmed.substring(0, at);
        String domain;
        try {
            domain = IDN.toASCII(trimmed.substring(at + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(field, "'" + address + "' has a domain that is not a host name", "Enter an address such as name@example.com");
        }
        if (!local.chars().allMatch(c -> c < 128)) {
            throw new InvalidInputException(field, "'" + address + "' has non-ASCII characters before the @",
                    "Turn on \"Allow UTF-8\" in the Email tab (the relay must offer SMTPUTF8), or use an ASCII address");
        }
        return local + "@" + domain;
    }

    /** Whether the Email tab sends credentials: {@code auth} is on. */
    static boolean authenticates(Map<String, String> smtp) {
        return flag(smtp, "auth");
    }

    /** The Email tab's {@code authType}, lower-case: {@code basic} when empty. */
    static String authType(Map<String, String> smtp) {
        String type = text(smtp, "authType");
        return type == null ? "basic" : type.toLowerCase(Locale.ROOT);
    }

    /** A value as the mapping reads it: stripped, and null when blank. */
    static String text(Map<String, String> smtp, String key) {
        String value = smtp.get(key);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static boolean flag(Map<String, String> smtp, String key) {
        return "true".equalsIgnoreCase(text(smtp, key));
    }


    /**
     * The engine names fields after its own settings; the administrator sees the Email tab's, or the provider option
     * that sets it (a mail larger than {@code max-message-size-mb}, refused when it is queued).
     */
    static InvalidInputException renamed(InvalidInputException e) {
        String field = switch (e.field()) {
            case "tlsMode" -> "starttls";
            case "username" -> "user";
            case "connectTimeout" -> "connectionTimeout";
            case "readTimeout" -> "timeout";
            case "trustPem" -> ServerOptions.option(ServerOptions.TRUST_BUNDLE);
            case "certificatePin" -> RealmRelayOptions.CERTIFICATE_PIN;
            case "maxMessageBytes" -> ServerOptions.option(ServerOptions.MAX_MESSAGE_SIZE_MB);
            default -> e.field();
        };
        String fix = switch (e.field()) {
            case "tlsMode" -> "Turn on \"Enable StartTLS\" (port 587) or \"Enable SSL\" (port 465); only for a relay on this "
                    + "host may AUTH cross plaintext, with " + ServerOptions.option(ServerOptions.ALLOW_CREDENTIALS_OVER_PLAINTEXT) + "=true";
            case "maxMessageBytes" -> "Send large content as a link rather than in the mail, or raise "
                    + ServerOptions.option(ServerOptions.MAX_MESSAGE_SIZE_MB) + " if the relay accepts larger mail; "
                    + "nothing was queued or sent";
            default -> e.fix();
        };
        return field.equals(e.field()) && fix.equals(e.fix()) ? e : new InvalidInputException(field, e.problem(), fix);
    }
}
