package io.github.outboundrelay.common;


/**
 * Why the bounce mailbox could not be read, in terms a person can act on: the IMAP counterpart of
 * {@link FailureCategory}. Nothing is lost by any of them: a report is only marked once it was taken into account,
 * so the next poll reads what this one could not.
 */
public enum BounceMailboxFailure {
    DNS("The mailbox's host name does not resolve: check the spelling of the IMAP host and this machine's DNS settings."),
    CONNECT_REFUSED("Nothing accepts connections on that host and port: check the port (993 for implicit TLS, 143 for STARTTLS) and that the IMAP server is running."),
    CONNECT_TIMEOUT("The connection attempt got no answer: a firewall probably drops outbound traffic to the IMAP port; check egress rules."),
    TLS_HANDSHAKE("The TLS handshake with the IMAP server failed: only TLS 1.2 and 1.3 are allowed; ask the mail server's operator to enable them."),
    CERTIFICATE_UNTRUSTED("The IMAP server's certificate is not trusted: if a private CA signed it, add that CA as the trust bundle (the same trust settings as the relays); if it expired, it must be renewed."),
    CERTIFICATE_PIN_MISMATCH("The IMAP server's certificate does not match the configured pin: update the pin if the server rotated its key; otherwise something is intercepting the connection."),
    HOSTNAME_MISMATCH("The IMAP server's certificate is for a different name: enter the host name the certificate names, not an IP address or alias."),
    TLS_MODE_MISMATCH("The TLS mode does not match the port: 993 speaks implicit TLS, 143 speaks STARTTLS. Change the TLS mode or the port."),
    STARTTLS_UNAVAILABLE("The IMAP server did not offer STARTTLS, so the password was not sent: use implicit TLS on port 993, or enable STARTTLS on the server."),
    AUTH_FAILED("The IMAP server refused the login: check the mailbox user and password (or app password); Microsoft 365 and Google need IMAP enabled for the mailbox, or OAuth2 (XOAUTH2)."),
    AUTH_TOKEN("The OAuth2 token endpoint did not issue a token for the mailbox: check the token URL, client id, client secret and scope (the IMAP scope, such as https://outlook.office365.com/.default)."),
    FOLDER_MISSING("The folder does not exist in this mailbox: check its name (case and the server's separator, such as INBOX/Bounces or INBOX.Bounces), or create it."),
    TIMEOUT("The IMAP server stopped answering within the read timeout: it may be overloaded; the next poll tries again."),
    CONNECTION_LOST("The IMAP server closed the connection: the next poll tries again; reports not yet marked are read again then."),
    PROTOCOL("The IMAP server answered something this client did not expect: see the detail."),
    STORAGE("The suppression list could not be written (disk full, or its directory not writable): fix the storage; the report was not marked and is read again at the next poll.");

    private final String remedy;

    BounceMailboxFailure(String remedy) {
        this.remedy = remedy;
    }

    public String remedy() {
        return remedy;
    }
}
