package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.Timeouts;

/** The help text: what {@code --help} prints, and what a usage error points to. */
public final class Usage {
    static final String TEXT = """
            Usage: java -jar relay-cli.jar probe|send|demo [options]

            Commands:
              probe   Test the relay step by step: DNS, TCP, greeting, EHLO, TLS, AUTH, MAIL FROM,
                      and with --to also RCPT TO and DATA (a test message is sent).
              send    Send one message. The body is read from standard input.
              demo    Start a relay on loopback that requires STARTTLS and AUTH, probe it, send a
                      message through it and show what it received. Needs no network.

            Options of probe and send:
              --host HOST            the relay's host name (required)
              --port PORT            default: 587 for starttls, 465 for implicit, 25 for none
              --tls MODE             starttls (default), implicit or none. With starttls the relay
                                     must offer STARTTLS: there is never a plaintext fallback.
              --user USER            the user name for AUTH (PLAIN or LOGIN)
              --password-env VAR     read the password from the environment variable VAR
              --password-stdin       read the password from the first line of standard input
              --from ADDRESS         the sender: From header and MAIL FROM
              --to ADDRESS           probe: also send a test message to ADDRESS (needs --from)
                                     send: a recipient; repeat for more (required)
              --trust-pem FILE       trust the CA certificate(s) in FILE instead of the JVM's CA store
              --pin sha256/BASE64    also require this public-key pin in the relay's certificate chain;
                                     repeatable. The probe's TLS step prints the relay's pin.
              --connect-timeout MS   default %d
              --read-timeout MS      default %d
              --write-timeout MS     default %d
              --json                 print the probe report or the receipt as JSON

            Options of send:
              --subject TEXT         the subject (required)
                                     The body is standard input; with --password-stdin the first line
                                     is the password and the rest is the body.

            A password is never accepted on the command line (--password), where the process
            list and the shell history would show it.

            Exit status: 0 passed or sent; 2 usage error or invalid setting, nothing sent;
                         3 a probe step or the delivery failed (category and remedy printed);
                         1 unexpected error.

            Examples:
              export RELAY_PASSWORD=...
              java -jar relay-cli.jar probe --host smtp.example.com --port 587 --tls starttls \\
                  --user ci@example.com --password-env RELAY_PASSWORD --from ci@example.com
              echo "Build 42 failed" | java -jar relay-cli.jar send --host smtp.example.com \\
                  --user ci@example.com --password-env RELAY_PASSWORD --from ci@example.com \\
                  --to ops@example.com --subject "Build 42 failed"
              java -jar relay-cli.jar demo
            """.formatted(Timeouts.DEFAULT.connect().toMillis(), Timeouts.DEFAULT.read().toMillis(),
            Timeouts.DEFAULT.write().toMillis());

    /** The line under a usage error. */
    static final String HINT = "Run 'java -jar relay-cli.jar --help' for the options.";

    private Usage() {
    }
}
