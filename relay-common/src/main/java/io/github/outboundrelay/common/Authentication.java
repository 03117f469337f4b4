package io.github.outboundrelay.common;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How the relay is told who is sending: nothing, a user name and password, or an OAuth2 token.
 *
 * <pre>{@code
 * Authentication.password("alerts@example.com", Secret.of(pw));
 * Authentication.oauth2("alerts@example.com", URI.create("https://login.microsoftonline.com/T/oauth2/v2.0/token"),
 *         "client-id", Secret.of(clientSecret), "https://outlook.office365.com/.default");
 * }</pre>
 */
public sealed interface Authentication {

    /** No AUTH: for relays that accept mail by client address. */
    Authentication NONE = new None();

    static Authentication password(String username, Secret password) {
        return new Password(username, password, List.of(PasswordMechanism.PLAIN, PasswordMechanism.LOGIN));
    }

    static Authentication oauth2(String username, URI tokenUrl, String clientId, Secret clientSecret, String scope) {
        return new OAuth2(username, tokenUrl, clientId, clientSecret, scope);
    }

    /** Whether AUTH must succeed before any mail is sent. */
    default boolean required() {
        return !(this instanceof None);
    }

    /** The SASL mechanisms offered to the relay, in order of preference, as Angus Mail expects them. */
    String mechanisms();

    record None() implements Authentication {
        @Override
        public String mechanisms() {
            return "";
        }
    }

    enum PasswordMechanism { PLAIN, LOGIN }

    record Password(String username, Secret password, List<PasswordMechanism> allowed) implements Authentication {
        public Password {
            requireText("username", username, "Enter the user name the relay gave you (often the full mailbox address)");
            if (password == null || password.isEmpty()) {
                throw new InvalidInputException("password", "is empty", "Enter the relay password or app password");
            }
            allowed = List.copyOf(Objects.requireNonNull(allowed, "allowed"));
            if (allowed.isEmpty()) {
                throw new InvalidInputException("authMechanisms", "is empty", "Allow PLAIN, LOGIN or both");
            }
        }

        @Override
        public String mechanisms() {
            return String.join(" ", allowed.stream().map(Enum::name).toList());
        }

        @Override
        public String toString() {
            return "Password[username=" + username + ", mechanisms=" + mechanisms() + "]";
        }
    }

    /** XOAUTH2 with a token from the OAuth2 client-credentials grant, fetched and refreshed by the client. */
    record OAuth2(String username, URI tokenUrl, String clientId, Secret clientSecret, String scope) implements Authentication {
        public OAuth2 {
            requireText("username", username, "Enter the mailbox the token is allowed to send as");
            Objects.requireNonNull(tokenUrl, "tokenUrl");
            String scheme = tokenUrl.getScheme() == null ? "" : tokenUrl.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !(scheme.equals("http") && resolvesToLoopback(tokenUrl.getHost()))) {
                throw new InvalidInputException("authTokenUrl", "'" + tokenUrl + "' is not an https URL",
                        "Use the identity provider's https token endpoint; plain http is allowed only for a host that "
                                + "resolves to loopback addresses only (127.0.0.1, ::1)");
            }
            requireText("authTokenClientId", clientId, "Enter the OAuth2 client (application) id");
            if (clientSecret == null || clientSecret.isEmpty()) {
                throw new InvalidInputException("authTokenClientSecret", "is empty", "Enter the OAuth2 client secret");
            }
            scope = scope == null ? "" : scope.trim();
        }

        @Override
        public String mechanisms() {
            return "XOAUTH2";
        }

        @Override
        public String toString() {
            return "OAuth2[username=" + username + ", tokenUrl=" + tokenUrl + ", clientId=" + clientId + ", scope=" + scope + "]";
        }

        /**
         * Whether every address {@code host} resolves to is a loopback one: the client secret may then cross plain
         * http, as it never leaves this machine. A name is resolved, never judged by its spelling
         * ({@code 127.evil.example} is a name anyone can point anywhere); a name that does not resolve is not loopback.
         */
        public static boolean resolvesToLoopback(String host) {
            if (host == null || host.isEmpty()) {
                return false;
            }
            try {
                InetAddress[] addresses = InetAddress.getAllByName(host);
                return addresses.length > 0 && Arrays.stream(addresses).allMatch(InetAddress::isLoopbackAddress);
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }

    private static void requireText(String field, String value, String fix) {
        if (value == null || value.isBlank()) {
            throw new InvalidInputException(field, "is empty", fix);
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new InvalidInputException(field, "contains a line break", "Remove the line break");
        }
    }
}
