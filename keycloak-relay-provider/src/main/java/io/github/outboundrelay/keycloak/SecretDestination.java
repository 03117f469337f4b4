package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.TlsMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where, and how, an Email tab sends its secret: every field that decides which server receives the password (SMTP
 * AUTH to host and port, over the TLS mode, as the user) or the OAuth2 client secret (posted to the token URL, for the
 * client id and scope) and the token it buys (host, port, TLS mode, user). Two maps with equal destinations send the
 * secret to the same place in the same way; the rest of the map (From, timeouts, debug) moves no secret.
 *
 * @param authType {@code basic} or {@code token}
 * @param host     lower-case, as DNS compares names
 * @param port     the effective port: the TLS mode's usual one when empty
 * @param tokenUrl {@code authTokenUrl}, {@code clientId} and {@code scope} only for {@code token}: a password goes
 *                 nowhere near them
 */
record SecretDestination(String authType, String host, String port, TlsMode tlsMode, String user, String tokenUrl,
                         String clientId, String scope) {

    /** The destination of the map's secret, or empty when it sends none ({@code auth} off). */
    static Optional<SecretDestination> of(Map<String, String> smtp) {
        if (smtp == null || !SmtpServerMapping.authenticates(smtp)) {
            return Optional.empty();
        }
        String type = SmtpServerMapping.authType(smtp);
        boolean token = "token".equals(type);
        String host = SmtpServerMapping.text(smtp, "host");
        return Optional.of(new SecretDestination(type, host == null ? null : host.toLowerCase(Locale.ROOT), port(smtp),
                SmtpServerMapping.tlsMode(smtp), SmtpServerMapping.text(smtp, "user"),
                token ? SmtpServerMapping.text(smtp, "authTokenUrl") : null,
                token ? SmtpServerMapping.text(smtp, "authTokenClientId") : null,
                token ? SmtpServerMapping.text(smtp, "authTokenScope") : null));
    }

    /** The Email tab keys whose values differ, for an administrator to see what would move the secret. */
    List<String> changedFields(SecretDestination other) {
        List<String> changed = new ArrayList<>();
        addIfChanged(changed, "authType", authType, other.authType);
        addIfChanged(changed, "host", host, other.host);
        addIfChanged(changed, "port", port, other.port);
        addIfChanged(changed, "ssl/starttls", tlsMode, other.tlsMode);
        addIfChanged(changed, "user", user, other.user);
        addIfChanged(changed, "authTokenUrl", tokenUrl, other.tokenUrl);
        addIfChanged(changed, "authTokenClientId", clientId, other.clientId);
        addIfChanged(changed, "authTokenScope", scope, other.scope);
        return changed;
    }

    /** The secret this authentication type sends: {@code authTokenClientSecret} for a token, else {@code password}. */
    String secretKey() {
        return "token".equals(authType) ? "authTokenClientSecret" : "password";
    }

    private static void addIfChanged(List<String> changed, String field, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            changed.add(field);
        }
    }

    /** A port that is not a number is compared as written: it differs from every real one. */
    private static String port(Map<String, String> smtp) {
        try {
            return Integer.toString(SmtpServerMapping.port(smtp));
        } catch (InvalidInputException e) {
            return SmtpServerMapping.text(smtp, "port");
        }
    }
}
