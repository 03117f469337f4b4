package io.github.outboundrelay.common.transport;

import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's SMTP transport as relay-common uses it: it connects (greeting, EHLO, STARTTLS, AUTH) and closes (QUIT);
 * the mail transaction in between is {@link MailTransaction}'s whenever the socket Angus talks over is known
 * ({@link RelayConnection}), and Angus's own {@code sendMessage} only when it is not. Its own class so that Angus
 * names its loggers after this package, which {@link AngusTraceGuard} silences.
 */
final class RelaySmtpTransport extends SMTPTransport {
    RelaySmtpTransport(Session session) {
        super(session, new URLName("smtp", null, -1, null, null, null));
    }
}
