package io.github.outboundrelay.jenkins;

/** How a relay row authenticates; each mode reads its secret from a Credentials plugin entry, never from the form. */
public enum AuthMode {
    /** No AUTH: a relay that accepts mail by client address. */
    NONE("No authentication"),
    /** AUTH PLAIN/LOGIN with a "Username with password" credential. */
    PASSWORD("Username and password (credential)"),
    /** XOAUTH2 with a token from the client-credentials grant: the credential's user name is the client id, its password the client secret. */
    OAUTH2("OAuth2 client credentials (credential: client id / client secret)");

    private final String label;

    AuthMode(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The mode a form or a YAML file names; empty means NONE. */
    static AuthMode parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        try {
            return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new io.github.outboundrelay.common.InvalidInputException("authMode", "'" + text + "' is not an authentication mode",
                    "Use NONE, PASSWORD or OAUTH2");
        }
    }
}
