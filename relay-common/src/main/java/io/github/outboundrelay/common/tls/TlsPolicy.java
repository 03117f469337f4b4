package io.github.outboundrelay.common.tls;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.failure.FailureClassifier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Where STARTTLS is enforced, and every other rule that keeps a relay connection encrypted and authenticated. The
 * send path (Angus Mail, configured by {@code MailSessionFactory}, checked by {@code RelayConnection}) and the probe
 * ({@code RelayProbe}, which speaks SMTP itself) both ask here, so a rule cannot differ between "test connection"
 * and a real send. The rules, each stated once (docs/architecture.md, "Where each rule lives"):
 * <ol>
 *   <li>STARTTLS mode means STARTTLS or nothing: never a plaintext fallback when the relay does not offer it, and
 *       the connection is re-checked to be encrypted after connecting ({@link #startTlsNotOffered},
 *       {@link #requireEncrypted}).</li>
 *   <li>TLS 1.3 and 1.2 only ({@link #PROTOCOLS}); cipher suites are the JDK's defaults for those versions, which
 *       exclude the broken ones.</li>
 *   <li>Host name verification always on ({@link #configure}, {@code checkserveridentity} for Angus).</li>
 *   <li>Credentials only over TLS, unless an administrator explicitly allows plaintext for a relay on this host
 *       ({@link #checkCredentialsProtected}).</li>
 *   <li>When authentication is configured and the relay offers no usable AUTH mechanism, nothing is sent: Angus
 *       would otherwise send unauthenticated ({@link #chooseMechanism}, {@link #requireAuthOffered}).</li>
 * </ol>
 */
public final class TlsPolicy {
    /** The only protocol versions offered, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private TlsPolicy() {
    }

    /** Rule 4, checked when settings are built: a password or token never crosses the network unencrypted. */
    public static void checkCredentialsProtected(TlsMode mode, Authentication auth, boolean allowCredentialsOverPlaintext) {
        if (auth.required() && mode == TlsMode.NONE && !allowCredentialsOverPlaintext) {
            throw new InvalidInputException("tlsMode",
                    "is NONE while authentication is configured: the password would cross the network unencrypted",
                    "Choose STARTTLS (port 587) or implicit TLS (port 465); only for a relay on this host set "
                            + "allowCredentialsOverPlaintext");
        }
    }

    /**
     * Rules 1 to 3 as Angus Mail properties for one protocol ({@code smtp} for the relays; {@code imap} or
     * {@code imaps} for the bounce mailbox): our socket factory layers every TLS socket, and nothing falls back.
     */
    public static void applyTo(Properties angus, String protocol, TlsMode mode, TlsSocketFactory socketFactory) {
        String prefix = "mail." + protocol + ".";
        angus.put(prefix + "ssl.socketFactory", socketFactory);
        angus.put(prefix + "ssl.socketFactory.fallback", "false");
        angus.put(prefix + "ssl.protocols", String.join(" ", PROTOCOLS));
        angus.put(prefix + "ssl.checkserveridentity", "true");
        switch (mode) {
            case IMPLICIT_TLS -> angus.put(prefix + "ssl.enable", "true");
            case STARTTLS -> {
                // starttls.enable alone silently falls back to plaintext when STARTTLS is not offered.
                angus.put(prefix + "starttls.enable", "true");
                angus.put(prefix + "starttls.required", "true");
            }
            case NONE -> { }
        }
    }

    /** Rule 2 on a TLS socket made for Angus, which verifies the host name itself (checkserveridentity). */
    static void restrictProtocols(SSLSocket socket) {
        socket.setEnabledProtocols(PROTOCOLS.toArray(String[]::new));
    }

    /** Rules 2 and 3 on a TLS socket the probe or the implicit-TLS detector layered itself, before its handshake. */
    public static void configure(SSLSocket socket) {
        restrictProtocols(socket);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
    }

    /** Rule 1: whether the EHLO capabilities allow STARTTLS at all. */
    public static boolean offersStartTls(List<String> capabilities) {
        return capabilities.stream().anyMatch(c -> c.toUpperCase(Locale.ROOT).split("\\s+")[0].equals("STARTTLS"));
    }

    /** Rule 1: the failure when STARTTLS is required and not offered; nothing else is sent. */
    public static FailureClassifier.Failure startTlsNotOffered(String detail) {
        return new FailureClassifier.Failure(SmtpStep.TLS, FailureCategory.STARTTLS_UNAVAILABLE, false, null, detail);
    }

    /** Rule 1, re-checked after connecting: a mode that asks for TLS must have produced an encrypted connection. */
    public static FailureClassifier.Failure requireEncrypted(TlsMode mode, boolean encrypted) {
        return mode != TlsMode.NONE && !encrypted ? startTlsNotOffered("the connection is not encrypted") : null;
    }

    /** The SASL mechanisms named in EHLO capabilities ({@code AUTH X Y} and the old {@code AUTH=X} form), in upper case. */
    public static List<String> offeredMechanisms(List<String> capabilities) {
        List<String> offered = new ArrayList<>();
        for (String capability : capabilities) {
            String upper = capability.toUpperCase(Locale.ROOT);
            if (upper.startsWith("AUTH ") || upper.startsWith("AUTH=")) {
                for (String mechanism : upper.substring(5).trim().split("\\s+")) {
                    if (!mechanism.isEmpty() && !offered.contains(mechanism)) {
                        offered.add(mechanism);
                    }
                }
            }
        }
        return offered;
    }

    /** Rule 5: the first configured mechanism the relay offers, or null when none: then nothing may be sent. */
    public static String chooseMechanism(Authentication auth, List<String> offered) {
        return Arrays.stream(auth.mechanisms().split(" ")).filter(offered::contains).findFirst().orElse(null);
    }

    /**
     * Rule 5: null when authentication is not configured or one of its mechanisms is offered; otherwise the failure
     * that stops the mail before MAIL FROM.
     */
    public static FailureClassifier.Failure requireAuthOffered(Authentication auth, List<String> offered) {
        if (!auth.required() || chooseMechanism(auth, offered) != null) {
            return null;
        }
        String why = offered.isEmpty() ? "the relay offered no AUTH at all, so nothing was sent unauthenticated"
                : "the relay offers " + String.join(" ", offered) + " but only " + auth.mechanisms() + " are allowed";
        return new FailureClassifier.Failure(SmtpStep.AUTH, FailureCategory.AUTH_UNAVAILABLE, false, null, why);
    }
}
