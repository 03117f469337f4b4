package io.github.outboundrelay.common;

/**
 * What went wrong, in terms a person can act on. Each category says whether trying the same mail again later can
 * succeed and what to check first; {@link Remedies} adds vendor-specific advice from the server's reply.
 */
public enum FailureCategory {
    DNS(true, "The relay's host name does not resolve: check the spelling of the host and this machine's DNS settings."),
    CONNECT_REFUSED(true, "Nothing accepts connections on that host and port: check the port (587 for STARTTLS, 465 for implicit TLS) and that the relay is running."),
    CONNECT_TIMEOUT(true, "The connection attempt got no answer: a firewall is probably dropping outbound traffic to that port (many cloud providers block port 25); check egress rules or use port 587."),
    TLS_HANDSHAKE(true, "The TLS handshake failed: the relay and this JVM share no TLS version or cipher. Only TLS 1.2 and 1.3 are allowed; ask the relay operator to enable them."),
    CERTIFICATE_UNTRUSTED(false, "The relay's certificate is not trusted: if it is signed by a private CA, add that CA's certificate as the trust bundle; if it expired, the relay operator must renew it."),
    CERTIFICATE_PIN_MISMATCH(false, "The relay's certificate does not match the configured pin: if the relay rotated its key, update the pin from the probe report; otherwise something is intercepting the connection."),
    HOSTNAME_MISMATCH(false, "The relay's certificate is for a different name: enter the host name the certificate names (see the probe's TLS step), not an IP address or alias."),
    TLS_MODE_MISMATCH(false, "The TLS mode does not match the port: port 465 speaks implicit TLS, ports 587 and 25 speak STARTTLS. Change the TLS mode or the port."),
    STARTTLS_UNAVAILABLE(false, "The relay did not offer STARTTLS, so nothing was sent (sending in plaintext is never a fallback): use the relay's submission port 587, or implicit TLS on 465."),
    AUTH_UNAVAILABLE(false, "The relay offered no authentication method this client may use, so nothing was sent: check that this is the authenticated submission port, and that the mechanism (PLAIN/LOGIN or XOAUTH2) is enabled for the account."),
    AUTH_FAILED(true, "The relay refused the credentials: check the user name and password (or the app password); the account may also need SMTP AUTH enabled."),
    AUTH_TOKEN(true, "The OAuth2 token endpoint did not issue a token: check the token URL, client id, client secret and scope."),
    SENDER_REJECTED(false, "The relay refused the sender address: use a From or envelope sender the authenticated account is allowed to send as."),
    RECIPIENT_REJECTED(false, "The relay refused the recipient address: check that it is spelled correctly and exists."),
    RELAY_DENIED(false, "The relay refused to relay to that recipient: authenticate, or ask the relay operator to allow relaying from this host or account."),
    MESSAGE_REJECTED(false, "The relay refused the message itself (size, content or policy): see the server reply."),
    TIMEOUT(true, "The relay stopped answering within the read timeout: it may be overloaded or tarpitting this client; if it never greets, check the TLS mode (465 needs implicit TLS)."),
    CONNECTION_LOST(true, "The relay closed the connection in the middle of the conversation: it will be retried; if it keeps happening, check the relay's limits on connections and message size."),
    PROTOCOL(true, "The relay answered something this client did not expect: see the transcript in the probe report."),
    EXPIRED(false, "The link in this mail (a password reset or email verification) expired before the relay took the mail, so it was not sent: the user asks for a new one. If this happens often, the relay was down or throttled for longer than the link's lifespan: fix the relay, raise the rate limit or lengthen the lifespan."),
    RECIPIENT_SUPPRESSED(false, "The recipient is on the suppression list after a hard bounce, a complaint or repeated soft bounces, so nothing was sent to it: remove it from the suppression list once the address is fixed.");

    private final boolean transientByDefault;
    private final String remedy;

    FailureCategory(boolean transientByDefault, String remedy) {
        this.transientByDefault = transientByDefault;
        this.remedy = remedy;
    }

    /** Whether a later attempt of the same mail may succeed, when the server's reply does not say otherwise. */
    public boolean isTransientByDefault() {
        return transientByDefault;
    }

    /** The generic advice for this category. */
    public String remedy() {
        return remedy;
    }
}
