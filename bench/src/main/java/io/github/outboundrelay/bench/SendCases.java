package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import javax.net.ssl.SSLSocketFactory;

/** Synchronous sends: today's per-message Transport.send, and relay-common's pooled {@link RelayClient}. */
final class SendCases {
    static final String FROM = "ci@example.com";

    /**
     * One sink as both clients see it.
     *
     * @param name     plain, implicit TLS or STARTTLS, for the table
     * @param user     AUTH user, or null for a sink without AUTH
     */
    record Target(String name, int port, TlsMode tlsMode, String user, String password, String trustPem) {
        RelaySettings settings(int maxConnections) {
            RelaySettings.Builder b = RelaySettings.builder()
                    .host("127.0.0.1").port(port).tlsMode(tlsMode)
                    .from(MailAddress.of(FROM, "CI", "from"))
                    .timeouts(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30)))
                    .maxConnections(maxConnections);
            if (user != null) {
                b.authentication(Authentication.password(user, Secret.of(password)));
            }
            if (trustPem != null) {
                b.trust(TrustSettings.pem(trustPem));
            }
            return b.build();
        }
    }

    private SendCases() {
    }

    /**
     * What Keycloak's DefaultEmailSenderProvider does for every mail (Jenkins Mailer likewise): a new Session from
     * properties, a MimeMessage, a Transport, connect (and AUTH), sendMessage, close (QUIT, waiting for the reply).
     * Angus defaults otherwise: no TCP_NODELAY, no pooling. TLS trusts the sink's certificate and checks its name, as
     * Keycloak's trust store set-up does.
     */
    static Measurement perMessageTransport(Target target, SSLSocketFactory trust, int threads, int count, Duration cap)
            throws Exception {
        List<OutboundMessage> prepared = Workload.messages(count);
        long[] latency = new long[count];
        CpuTime cpu = CpuTime.now();
        long start = System.nanoTime();
        int done = Workload.runConcurrently(threads, count, cap, i -> {
            long t0 = System.nanoTime();
            sendLikeKeycloak(target, trust, prepared.get(i));
            latency[i] = System.nanoTime() - t0;
        });
        long nanos = System.nanoTime() - start;
        return new Measurement(done, nanos, latency, null, done < count ? "time cap" : "", CpuTime.since(cpu));
    }

    private static void sendLikeKeycloak(Target target, SSLSocketFactory trust, OutboundMessage m) throws Exception {
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", "127.0.0.1");
        p.setProperty("mail.smtp.port", Integer.toString(target.port()));
        if (target.user() != null) {
            p.setProperty("mail.smtp.auth", "true");
        }
        if (target.tlsMode() == TlsMode.IMPLICIT_TLS) {
            p.setProperty("mail.smtp.ssl.enable", "true");
        } else if (target.tlsMode() == TlsMode.STARTTLS) {
            p.setProperty("mail.smtp.starttls.enable", "true");
        }
        if (target.tlsMode() != TlsMode.NONE) {
            p.put("mail.smtp.ssl.protocols", "TLSv1.3 TLSv1.2");
            p.put("mail.smtp.ssl.socketFactory", trust);
            p.put("mail.smtp.ssl.checkserveridentity", "true");
        }
        p.setProperty("mail.smtp.timeout", "10000");
        p.setProperty("mail.smtp.connectiontimeout", "10000");
        p.setProperty("mail.smtp.writetimeout", "10000");
        p.setProperty("mail.from", FROM);
        Session session = Session.getInstance(p);
        MimeMessage msg = new MimeMessage(session);
        msg.setFrom(new InternetAddress(FROM, "CI"));
        msg.setHeader("To", m.to().get(0).address());
        msg.setSubject(m.subject(), "UTF-8");
        msg.setText(m.text(), "UTF-8");
        msg.saveChanges();
        msg.setSentDate(new Date());
        try (Transport transport = session.getTransport("smtp")) {
            if (target.user() != null) {
                transport.connect(target.user(), target.password());
            } else {
                transport.connect();
            }
            transport.sendMessage(msg, new InternetAddress[] {new InternetAddress(m.to().get(0).address())});
        }
    }

    /** relay-common's pooled client, called synchronously from {@code threads} threads, one connection each. */
    static Measurement pooled(Target target, int threads, int count, Duration cap) throws Exception {
        List<OutboundMessage> prepared = Workload.messages(count);
        long[] latency = new long[count];
        try (RelayClient client = RelayClient.create(target.settings(threads), new DeliveryLog(100))) {
            CpuTime cpu = CpuTime.now();
            long start = System.nanoTime();
            int done = Workload.runConcurrently(threads, count, cap, i -> {
                long t0 = System.nanoTime();
                client.send(prepared.get(i));
                latency[i] = System.nanoTime() - t0;
            });
            long nanos = System.nanoTime() - start;
            return new Measurement(done, nanos, latency, null, done < count ? "time cap" : "", CpuTime.since(cpu));
        }
    }
}
