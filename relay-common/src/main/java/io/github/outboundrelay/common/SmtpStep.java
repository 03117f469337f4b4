package io.github.outboundrelay.common;

/** The steps of reaching a relay and handing it a mail, in the order they happen. */
public enum SmtpStep {
    DNS, TCP, GREETING, EHLO, TLS, AUTH_TOKEN, AUTH, MAIL_FROM, RCPT_TO, DATA
}
