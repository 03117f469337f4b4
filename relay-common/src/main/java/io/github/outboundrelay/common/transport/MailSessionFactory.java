package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.Authentication;

import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.tls.TlsPolicy;

import jakarta.mail.Session;
import java.util.Properties;

/**
 * Translates settings into the Angus Mail session, once per settings: a new Session per message halves throughput
 * (docs/architecture.md, "Facts that shape the code"). Every property here closes a hole Angus leaves open by default.
 */
public final class MailSessionFactory {
    private MailSessionFactory() {
    }

    public static Session create(RelaySettings settings, TlsContext tls) {
        Properties p = new Properties();
        p.put("mail.transport.protocol", "smtp");
        p.put("mail.smtp.host", settings.host());
        p.put("mail.smtp.port", Integer.toString(settings.port()));
        // Angus waits forever without these.
        p.put("mail.smtp.connectiontimeout", Integer.toString(settings.timeouts().connectMillis()));
        p.put("mail.smtp.timeout", Integer.toString(settings.timeouts().readMillis()));
        p.put("mail.smtp.writetimeout", Integer.toString(settings.timeouts().writeMillis()));

        // Our factories: TCP_NODELAY on every socket; the TLS rules (STARTTLS required, versions, host name) are TlsPolicy's.
        p.put("mail.smtp.socketFactory", NoDelaySocketFactory.INSTANCE);
        p.put("mail.smtp.socketFactory.fallback", "false");
        TlsPolicy.applyTo(p, "smtp", settings.tlsMode(), tls.socketFactory());

        Authentication auth = settings.authentication();
        p.put("mail.smtp.auth", Boolean.toString(auth.required()));
        if (auth.required()) {
            p.put("mail.smtp.auth.mechanisms", auth.mechanisms());
        }
        if (settings.heloName() != null) {
            p.put("mail.smtp.localhost", settings.heloName());
        }
        // Report rejected recipients in the receipt instead of failing the whole mail for one bad address.
        p.put("mail.smtp.sendpartial", "true");
        p.put("mail.mime.allowutf8", Boolean.toString(settings.allowUtf8()));
        // Closing a pooled connection should not wait on the relay's goodbye.
        p.put("mail.smtp.quitwait", "false");
        // Angus's debug output would print message bodies and reset links: it stays off; the probe has a transcript.
        p.put("mail.debug", "false");
        return Session.getInstance(p);
    }
}
