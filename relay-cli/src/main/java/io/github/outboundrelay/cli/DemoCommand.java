package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * {@code relay demo}: the whole product on one machine, no network and no account needed. A real relay on loopback
 * that insists on STARTTLS and AUTH, a certificate made for the run and trusted explicitly, then the same probe and
 * send an administrator would run against their own relay.
 */
public final class DemoCommand {
    static final CommandLine.Spec SPEC = new CommandLine.Spec(Set.of(), Set.of(), Set.of());
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String USER = "jenkins@example.com";

    private DemoCommand() {
    }

    static int run(List<String> args, CliIo io) throws InterruptedException {
        CommandLine.parse("demo", args, SPEC);
        PrintStream out = io.out();
        SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
        String password = randomPassword();
        try (EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), USER, password)) {
            out.println("Started a relay on 127.0.0.1:" + relay.port() + " that requires STARTTLS and AUTH. Its certificate");
            out.println("was made for this run and is trusted explicitly (TrustSettings.pem), not through the JVM's CA store.");
            RelaySettings settings = RelaySettings.builder()
                    .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .authentication(Authentication.password(USER, Secret.of(password)))
                    .trust(TrustSettings.pem(certificate.pem()))
                    .from(MailAddress.of(USER, "Jenkins", "from"))
                    .timeouts(new Timeouts(WAIT, WAIT, WAIT))
                    .build();

            out.println();
            out.println("== 1. Probe with a test recipient (what 'relay probe --to' and the admin pages' test send do)");
            ProbeReport report = RelayClient.probe(settings, MailAddress.parse("alice@example.com", "to"));
            out.print(report.toText());
            if (!report.passed()) {
                io.err().println("relay demo: the probe of the embedded relay failed; see the report above.");
                return ExitCode.FAILED;
            }

            out.println();
            out.println("== 2. Send a message with RelayClient (what Jenkins and Keycloak do through the adapters)");
            OutboundMessage message = OutboundMessage.builder()
                    .from(settings.from())
                    .to("Alice Example <alice@example.com>")
                    .subject("Build #42 of app failed")
                    .text("Build #42 of app failed at stage 'test'.\nSee https://ci.example.com/job/app/42/\n")
                    .header("X-Jenkins-Job", "app")
                    .build();
            Receipt receipt;
            try (RelayClient client = RelayClient.create(settings)) {
                receipt = client.send(message);
                out.print(DeliveryOutput.text(receipt));
                out.println("Delivery log (recipients masked by default):");
                for (DeliveryEvent event : client.deliveryLog().recent()) {
                    out.println("  " + event.toLogLine());
                }
            } catch (DeliveryException e) {
                io.err().print(DeliveryOutput.text(e));
                return ExitCode.FAILED;
            }

            out.println();
            out.println("== 3. The message as the relay received it");
            EmbeddedRelay.ReceivedMail mail = received(relay, receipt.messageId());
            if (mail == null) {
                io.err().println("relay demo: the relay accepted " + receipt.messageId() + " but did not store it.");
                return ExitCode.FAILED;
            }
            out.println("Envelope: MAIL FROM:<" + mail.envelopeFrom() + "> RCPT TO:" + mail.recipients());
            out.print(mail.content().replace("\r\n", "\n"));
        }
        out.println();
        out.println("Relay stopped. Next: 'java -jar relay-cli.jar probe --help' to test your own relay.");
        return ExitCode.OK;
    }

    /** The mail with this Message-ID, or null. The probe's test message arrived first; ours is the second. */
    private static EmbeddedRelay.ReceivedMail received(EmbeddedRelay relay, String messageId) throws InterruptedException {
        List<EmbeddedRelay.ReceivedMail> mails;
        try {
            mails = relay.awaitMessages(2, WAIT);
        } catch (IllegalStateException timedOut) {
            // EmbeddedRelay reports a timeout the way its tests want it; here it is an ordinary failure.
            mails = relay.received();
        }
        return mails.stream().filter(m -> m.content().contains(messageId)).findFirst().orElse(null);
    }

    /** A fresh password per run, so the demo holds no credential worth reading. */
    private static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
