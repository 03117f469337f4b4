package io.github.outboundrelay.jenkins;

import hudson.util.FormValidation;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import java.util.function.Supplier;
import jenkins.model.Jenkins;

/**
 * Field checks behind the {@code doCheck*} web methods: relay-common's own validation, turned into a form message
 * ("problem. fix"). Messages go through {@link FormValidation#error(String)}, which escapes them.
 */
final class Checks {
    private Checks() {
    }

    /** First statement of every web method: only administrators reach any I/O or any stored value. */
    static void requireAdminister() {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
    }

    static FormValidation of(Runnable check) {
        try {
            check.run();
            return FormValidation.ok();
        } catch (InvalidInputException e) {
            return error(e);
        }
    }

    static FormValidation error(InvalidInputException e) {
        return FormValidation.error(capitalize(e.problem()) + ". " + e.fix());
    }

    static FormValidation host(String host) {
        if (RelayForm.blank(host)) {
            return FormValidation.error("Enter the relay's host name, such as smtp.example.com.");
        }
        // The settings record owns the host rules; build with a placeholder port to reuse them.
        return of(() -> io.github.outboundrelay.common.RelaySettings.builder().host(host).port(587).build());
    }

    static FormValidation port(String port, String tlsMode) {
        if (RelayForm.blank(port)) {
            return FormValidation.ok("Empty: the TLS mode's usual port (587, 465 or 25).");
        }
        int p;
        try {
            p = RelayForm.port(port);
        } catch (InvalidInputException e) {
            return error(e);
        }
        if (p < 1 || p > 65535) {
            return FormValidation.error("Port " + p + " is outside 1..65535. Use 587 for STARTTLS or 465 for implicit TLS.");
        }
        TlsMode mode = parseOrNull(tlsMode);
        if (p == 465 && mode == TlsMode.STARTTLS) {
            return FormValidation.warning("Port 465 speaks implicit TLS, not STARTTLS: choose implicit TLS, or port 587.");
        }
        if ((p == 587 || p == 25) && mode == TlsMode.IMPLICIT_TLS) {
            return FormValidation.warning("Port " + p + " speaks STARTTLS, not implicit TLS: choose STARTTLS, or port 465.");
        }
        return FormValidation.ok();
    }

    static FormValidation address(String field, String value, boolean required) {
        if (RelayForm.blank(value)) {
            return required ? FormValidation.error("Enter an address such as jenkins@example.com.") : FormValidation.ok();
        }
        return of(() -> RelayForm.address(field, value));
    }

    static FormValidation seconds(String field, String value, int defaultSeconds) {
        return of(() -> RelayForm.seconds(field, value, defaultSeconds));
    }

    static FormValidation trustPem(String pem) {
        if (RelayForm.blank(pem)) {
            return FormValidation.ok("Empty: the JVM's CA certificates are trusted.");
        }
        return of(() -> TrustSettings.pem(pem.strip()));
    }

    static FormValidation pins(String pins) {
        return of(() -> TrustSettings.jvmDefault().withPins(RelayForm.pins(pins)));
    }

    static FormValidation wholeNumber(String value, WholeNumber rule) {
        return of(() -> rule.parse(value));
    }

    static FormValidation credentials(String authMode, String credentialsId, Supplier<RelayCredentialsLookup> lookup) {
        AuthMode mode;
        try {
            mode = AuthMode.parse(authMode);
        } catch (InvalidInputException e) {
            return error(e);
        }
        if (mode == AuthMode.NONE) {
            return RelayForm.blank(credentialsId) ? FormValidation.ok()
                    : FormValidation.warning("Authentication is off, so this credential is not used.");
        }
        if (RelayForm.blank(credentialsId)) {
            return FormValidation.error("Choose a \"Username with password\" credential"
                    + (mode == AuthMode.OAUTH2 ? " holding the OAuth2 client id and client secret." : " for the relay account."));
        }
        return lookup.get().find(credentialsId) == null
                ? FormValidation.error("No \"Username with password\" credential has the id '" + credentialsId + "'. Choose one from the list.")
                : FormValidation.ok();
    }

    static FormValidation tokenUrl(String authMode, String tokenUrl) {
        return of(() -> {
            if (AuthMode.parse(authMode) != AuthMode.OAUTH2) {
                return;
            }
            if (RelayForm.blank(tokenUrl)) {
                throw new InvalidInputException("tokenUrl", "is empty", "Enter the identity provider's https token endpoint");
            }
            io.github.outboundrelay.common.Authentication.oauth2("probe@example.com", RelayForm.tokenUrl(tokenUrl),
                    "client", io.github.outboundrelay.common.Secret.of("x"), "");
        });
    }

    private static TlsMode parseOrNull(String text) {
        try {
            return RelayForm.blank(text) ? TlsMode.STARTTLS : TlsMode.parse(text);
        } catch (InvalidInputException e) {
            return null;
        }
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    static FormValidation bounceHost(String host) {
        if (RelayForm.blank(host)) {
            return FormValidation.ok("Empty: no bounce mailbox; the suppression list changes only by hand.");
        }
        return of(() -> io.github.outboundrelay.common.BounceMailboxSettings.builder().host(host)
                .authentication(io.github.outboundrelay.common.Authentication.password("probe", io.github.outboundrelay.common.Secret.of("x")))
                .build()); // The settings record owns the host rules; the placeholder login is never used.
    }

    static FormValidation bouncePort(String port, String tlsMode) {
        if (RelayForm.blank(port)) {
            return FormValidation.ok("Empty: the TLS mode's usual port (993 or 143).");
        }
        int p;
        try {
            p = BounceForm.port(port);
        } catch (InvalidInputException e) {
            return error(e);
        }
        TlsMode mode = parseOrNull(tlsMode);
        if (p == 993 && mode == TlsMode.STARTTLS) {
            return FormValidation.warning("Port 993 speaks implicit TLS, not STARTTLS: choose implicit TLS, or port 143.");
        }
        if (p == 143 && (mode == null || mode == TlsMode.IMPLICIT_TLS) && !RelayForm.blank(tlsMode)) {
            return FormValidation.warning("Port 143 speaks STARTTLS, not implicit TLS: choose STARTTLS, or port 993.");
        }
        return FormValidation.ok();
    }
}
