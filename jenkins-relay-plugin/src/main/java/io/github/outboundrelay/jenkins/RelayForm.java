package io.github.outboundrelay.jenkins;

import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The configuration form as text, parsed once into relay-common's validated settings. The saved configuration and
 * the unsaved form behind "Test connection" go through this same code, so a test tests what will be used.
 * Every failure is an {@link InvalidInputException} naming the field and the fix.
 */
final class RelayForm {
    static final int MAX_TIMEOUT_SECONDS = 600;

    private RelayForm() {
    }

    /** The page's fields shared by every relay row. */
    record Shared(String fromAddress, String fromName, String replyTo, String connectTimeout, String readTimeout,
                  String trustPem, String certificatePins, boolean maskRecipients, long maxMessageBytes) {

        /** The form behind the test buttons: the test mail is small, so the default size cap. */
        Shared(String fromAddress, String fromName, String replyTo, String connectTimeout, String readTimeout,
               String trustPem, String certificatePins, boolean maskRecipients) {
            this(fromAddress, fromName, replyTo, connectTimeout, readTimeout, trustPem, certificatePins, maskRecipients,
                    RelaySettings.DEFAULT_MAX_MESSAGE_BYTES);
        }
    }

    /** One relay row. */
    record Endpoint(String host, String port, String tlsMode, String authMode, String credentialsId, String tokenUrl,
                    String scope, String oauthUser) {
    }

    static RelaySettings settings(Endpoint relay, Shared shared, RelayCredentialsLookup credentials) {
        TlsMode tls = blank(relay.tlsMode()) ? TlsMode.STARTTLS : TlsMode.parse(relay.tlsMode());
        RelaySettings.Builder b = RelaySettings.builder()
                .host(relay.host())
                .tlsMode(tls)
                .authentication(authentication(relay, shared, credentials))
                .timeouts(timeouts(shared))
                .trust(trust(shared))
                .maskRecipients(shared.maskRecipients())
                .maxMessageBytes(shared.maxMessageBytes());
        if (!blank(relay.port())) {
            b.port(port(relay.port()));
        }
        if (!blank(shared.fromAddress())) {
            b.from(MailAddress.of(shared.fromAddress(), shared.fromName(), "fromAddress"));
        }
        if (!blank(shared.replyTo())) {
            b.replyTo(MailAddress.parse(shared.replyTo(), "replyTo"));
        }
        return b.build();
    }

    static int port(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException("port", "'" + text + "' is not a number",
                    "Use 587 for STARTTLS or 465 for implicit TLS, as the relay's documentation says");
        }
    }

    static Duration seconds(String field, String text, int defaultSeconds) {
        if (blank(text)) {
            return Duration.ofSeconds(defaultSeconds);
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(field, "'" + text + "' is not a whole number of seconds", "Give seconds, such as 10");
        }
        if (value < 1 || value > MAX_TIMEOUT_SECONDS) {
            throw new InvalidInputException(field, "is " + value + " s, outside 1.." + MAX_TIMEOUT_SECONDS,
                    "Use a value such as 10 (connect) or 30 (read); waiting forever is never allowed");
        }
        return Duration.ofSeconds(value);
    }

    static Timeouts timeouts(Shared shared) {
        Duration read = seconds("readTimeout", shared.readTimeout(), 30);
        return new Timeouts(seconds("connectTimeout", shared.connectTimeout(), 10), read, read);
    }

    static TrustSettings trust(Shared shared) {
        TrustSettings base = blank(shared.trustPem()) ? TrustSettings.jvmDefault() : TrustSettings.pem(shared.trustPem().strip());
        return base.withPins(pins(shared.certificatePins()));
    }

    static List<String> pins(String text) {
        if (blank(text)) {
            return List.of();
        }
        return Arrays.stream(text.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    static Authentication authentication(Endpoint relay, Shared shared, RelayCredentialsLookup credentials) {
        AuthMode mode = AuthMode.parse(relay.authMode());
        if (mode == AuthMode.NONE) {
            return Authentication.NONE;
        }
        if (blank(relay.credentialsId())) {
            throw new InvalidInputException("credentialsId", "is empty",
                    "Choose a \"Username with password\" credential, or add one under Manage Jenkins > Credentials");
        }
        StandardUsernamePasswordCredentials c = credentials.find(relay.credentialsId());
        if (c == null) {
            throw new InvalidInputException("credentialsId", "'" + relay.credentialsId() + "' does not exist or is not a username/password credential",
                    "Choose an existing \"Username with password\" credential in the System (Jenkins) store");
        }
        Secret password = Secret.of(hudson.util.Secret.toString(c.getPassword()));
        if (mode == AuthMode.PASSWORD) {
            return Authentication.password(c.getUsername(), password);
        }
        String mailbox = blank(relay.oauthUser()) ? shared.fromAddress() : relay.oauthUser().trim();
        if (blank(mailbox)) {
            throw new InvalidInputException("oauthUser", "is empty", "Enter the mailbox the token may send as, or fill in the From address");
        }
        if (blank(relay.tokenUrl())) {
            throw new InvalidInputException("tokenUrl", "is empty", "Enter the identity provider's token endpoint, such as https://login.microsoftonline.com/TENANT/oauth2/v2.0/token");
        }
        return Authentication.oauth2(mailbox, tokenUrl(relay.tokenUrl()), c.getUsername(), password, relay.scope());
    }

    static URI tokenUrl(String text) {
        try {
            return new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new InvalidInputException("tokenUrl", "'" + text + "' is not a URL", "Enter the https token endpoint URL");
        }
    }

    /** An optional address field: empty, or one address. */
    static void address(String field, String text) {
        if (!blank(text)) {
            MailAddress.parse(text, field);
        }
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
