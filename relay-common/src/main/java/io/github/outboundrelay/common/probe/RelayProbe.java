package io.github.outboundrelay.common.probe;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.SmtpReply;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.failure.FailureClassifier;
import io.github.outboundrelay.common.failure.Remedies;
import io.github.outboundrelay.common.redaction.Redaction;
import io.github.outboundrelay.common.tls.CertificatePins;
import io.github.outboundrelay.common.tls.ImplicitTlsDetector;
import io.github.outboundrelay.common.tls.TlsRecordReceivedException;
import io.github.outboundrelay.common.transport.LocalHostName;
import io.github.outboundrelay.common.transport.MimeMessageFactory;
import io.github.outboundrelay.common.transport.SmtpSocket;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.ProbeStepResult;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.auth.OAuth2TokenSource;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.common.tls.TlsPolicy;
import io.github.outboundrelay.common.transport.SmtpConversation;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPOutputStream;

/**
 * Test connection and test send: DNS, TCP, TLS, greeting, EHLO, AUTH, MAIL FROM, RCPT TO and DATA, one step at a
 * time on its own SMTP conversation, stopping at the first failure. Uses the same rules ({@link TlsPolicy}), trust
 * and token source as real sends. One instance per run.
 */
public final class RelayProbe {
    private static final String TEST_SUBJECT = "Outbound Relay test message";

    private final RelaySettings settings;
    private final TlsContext tls;
    private final OAuth2TokenSource tokens;
    private final Session session;
    private final MailAddress testRecipient;
    private final List<ProbeStepResult> steps = new ArrayList<>();
    private final List<String> preamble = new ArrayList<>();
    private SmtpConversation conversation;
    /** Whether the conversation is in a state where a QUIT can be understood: greeted, and no broken TLS layer. */
    private boolean canQuit;

    public RelayProbe(RelaySettings settings, TlsContext tls, OAuth2TokenSource tokens, Session session, MailAddress testRecipient) {
        this.settings = settings;
        this.tls = tls;
        this.tokens = tokens;
        this.session = session;
        this.testRecipient = testRecipient;
    }

    public ProbeReport run() {
        try {
            runSteps();
        } catch (StepFailed stop) {
            // Recorded in steps: the probe stops at the first failing step.
        } finally {
            quit();
        }
        List<String> transcript = new ArrayList<>(preamble);
        if (conversation != null) {
            transcript.addAll(conversation.transcript());
        }
        return new ProbeReport(settings.relayName(), settings.tlsMode(), steps, transcript);
    }

    private void runSteps() {
        InetAddress[] addresses = resolve();
        connect(addresses[0]);
        if (settings.tlsMode() == TlsMode.IMPLICIT_TLS) {
            handshake(() -> {
                SSLSocket ssl = (SSLSocket) tls.socketFactory().createSocket(conversation.socket(), settings.host(), settings.port(), true);
                TlsPolicy.configure(ssl);
                ssl.startHandshake();
                conversation = new SmtpConversation(ssl);
                return ssl;
            });
        }
        greeting();
        List<String> capabilities = ehlo();
        if (settings.tlsMode() == TlsMode.STARTTLS) {
            startTls(capabilities);
            capabilities = ehlo();
        }
        authenticate(capabilities);
        MailAddress sender = settings.envelopeFrom() != null ? settings.envelopeFrom() : settings.from();
        if (sender == null) {
            skip(SmtpStep.MAIL_FROM, "no From address is configured, so no mail transaction was tried");
            return;
        }
        boolean utf8 = mailFrom(sender, capabilities);
        if (testRecipient == null) {
            skip(SmtpStep.RCPT_TO, "no test recipient given: this was a connection test");
            skip(SmtpStep.DATA, "no test recipient given: nothing was sent");
            quietly("RSET");
            return;
        }
        rcptTo(testRecipient, utf8, capabilities);
        data();
    }

    private InetAddress[] resolve() {
        long start = System.nanoTime();
        try {
            InetAddress[] addresses = InetAddress.getAllByName(settings.host());
            pass(SmtpStep.DNS, start, settings.host() + " resolves to " + addresses.length + " address(es)", "",
                    Map.of("addresses", Arrays.stream(addresses).map(InetAddress::getHostAddress).collect(Collectors.joining(", "))));
            return addresses;
        } catch (IOException e) {
            throw fail(SmtpStep.DNS, start, FailureClassifier.ofIo(SmtpStep.DNS, e, settings.tlsMode(), settings.port()),
                    settings.host() + " does not resolve");
        }
    }

    private void connect(InetAddress address) {
        long start = System.nanoTime();
        // A conversation that starts in clear text checks that the port does not answer in TLS.
        Socket socket = settings.tlsMode() == TlsMode.IMPLICIT_TLS ? new Socket() : new SmtpSocket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(address, settings.port()), settings.timeouts().connectMillis());
            socket.setSoTimeout(settings.timeouts().readMillis());
            conversation = new SmtpConversation(socket);
            pass(SmtpStep.TCP, start, "connected to " + address.getHostAddress() + ":" + settings.port(), "", Map.of());
        } catch (IOException e) {
            closeQuietly(socket);
            throw fail(SmtpStep.TCP, start, FailureClassifier.ofIo(SmtpStep.TCP, e, settings.tlsMode(), settings.port()),
                    "could not connect to " + address.getHostAddress() + ":" + settings.port());
        }
    }

    private interface Handshake {
        public SSLSocket run() throws IOException;
    }

    private void handshake(Handshake handshake) {
        long start = System.nanoTime();
        try {
            SSLSocket ssl = handshake.run();
            X509Certificate leaf = (X509Certificate) ssl.getSession().getPeerCertificates()[0];
            pass(SmtpStep.TLS, start, ssl.getSession().getProtocol() + " with " + ssl.getSession().getCipherSuite()
                    + ", certificate and host name verified", "", certificateDetails(ssl, leaf));
        } catch (IOException e) {
            canQuit = false;
            throw fail(SmtpStep.TLS, start, FailureClassifier.ofIo(SmtpStep.TLS, e, settings.tlsMode(), settings.port()),
                    "TLS handshake failed: " + FailureClassifier.describe(e));
        }
    }

    private void greeting() {
        long start = System.nanoTime();
        SmtpReply reply;
        try {
            reply = conversation.read();
        } catch (SocketTimeoutException e) {
            preamble.add("(no greeting within the read timeout: checking whether port " + settings.port() + " speaks implicit TLS)");
            FailureClassifier.Failure failure = ImplicitTlsDetector.recheck(
                    FailureClassifier.ofIo(SmtpStep.GREETING, e, settings.tlsMode(), settings.port()), settings, tls);
            throw fail(SmtpStep.GREETING, start, failure, failure.category() == FailureCategory.TLS_MODE_MISMATCH
                    ? failure.detail() : "no greeting within " + settings.timeouts().read().toMillis() + " ms");
        } catch (TlsRecordReceivedException e) {
            FailureClassifier.Failure failure = FailureClassifier.ofIo(SmtpStep.GREETING, e, settings.tlsMode(), settings.port());
            throw fail(SmtpStep.GREETING, start, failure, failure.detail());
        } catch (IOException e) {
            throw failIo(SmtpStep.GREETING, start, e, "the relay sent no greeting");
        }
        expect(SmtpStep.GREETING, start, reply, 220, "the relay greeted: " + reply, Map.of());
        canQuit = true;
    }

    private List<String> ehlo() {
        long start = System.nanoTime();
        String name = settings.heloName() != null ? settings.heloName() : LocalHostName.ehloName();
        SmtpReply reply = exchange(SmtpStep.EHLO, start, "EHLO " + name, "EHLO " + name);
        List<String> capabilities = SmtpConversation.lines(reply).stream().skip(1).map(String::strip).toList();
        expect(SmtpStep.EHLO, start, reply, 250, capabilities.size() + " extension(s) offered",
                Map.of("capabilities", String.join(", ", capabilities)));
        return capabilities;
    }

    private void startTls(List<String> capabilities) {
        long start = System.nanoTime();
        if (!TlsPolicy.offersStartTls(capabilities)) {
            throw fail(SmtpStep.TLS, start, TlsPolicy.startTlsNotOffered("STARTTLS not offered"),
                    "the relay does not offer STARTTLS; nothing else was sent");
        }
        SmtpReply reply = exchange(SmtpStep.TLS, start, "STARTTLS", "STARTTLS");
        if (reply.code() != 220) {
            throw fail(SmtpStep.TLS, start, FailureClassifier.ofReply(SmtpStep.TLS, reply), "STARTTLS refused: " + reply);
        }
        handshake(() -> conversation.startTls(tls, settings.host(), settings.port()));
    }

    private void authenticate(List<String> capabilities) {
        Authentication auth = settings.authentication();
        if (!auth.required()) {
            skip(SmtpStep.AUTH, "no authentication configured");
            return;
        }
        String secret = auth instanceof Authentication.OAuth2 ? fetchToken() : null;
        long start = System.nanoTime();
        List<String> offered = TlsPolicy.offeredMechanisms(capabilities);
        FailureClassifier.Failure unavailable = TlsPolicy.requireAuthOffered(auth, offered);
        if (unavailable != null) {
            throw fail(SmtpStep.AUTH, start, unavailable, unavailable.detail());
        }
        String mechanism = TlsPolicy.chooseMechanism(auth, offered);
        SmtpReply reply;
        try {
            reply = switch (mechanism) {
                case "PLAIN" -> {
                    Authentication.Password p = (Authentication.Password) auth;
                    conversation.send("AUTH PLAIN " + base64("\0" + p.username() + "\0" + p.password().reveal()), Redaction.command("AUTH PLAIN"));
                    yield conversation.read();
                }
                case "LOGIN" -> login((Authentication.Password) auth);
                default -> xoauth2((Authentication.OAuth2) auth, secret);
            };
        } catch (IOException e) {
            throw failIo(SmtpStep.AUTH, start, e, "the relay dropped the connection during AUTH");
        }
        if (reply.code() != 235) {
            throw fail(SmtpStep.AUTH, start, FailureClassifier.ofReply(SmtpStep.AUTH, reply), "AUTH " + mechanism + " refused: " + reply);
        }
        pass(SmtpStep.AUTH, start, "authenticated with " + mechanism, reply.toString(), Map.of("offered", String.join(" ", offered)));
    }

    private SmtpReply login(Authentication.Password p) throws IOException {
        conversation.send("AUTH LOGIN", "AUTH LOGIN");
        SmtpReply reply = conversation.read();
        if (reply.code() != 334) {
            return reply;
        }
        conversation.send(base64(p.username()), Redaction.REDACTED);
        reply = conversation.read();
        if (reply.code() != 334) {
            return reply;
        }
        conversation.send(base64(p.password().reveal()), Redaction.REDACTED);
        return conversation.read();
    }

    private SmtpReply xoauth2(Authentication.OAuth2 o, String token) throws IOException {
        conversation.send("AUTH XOAUTH2 " + base64("user=" + o.username() + "\u0001auth=Bearer " + token + "\u0001\u0001"),
                Redaction.command("AUTH XOAUTH2"));
        SmtpReply reply = conversation.read();
        if (reply.code() == 334) {
            // The error challenge: answering with an empty line makes the server send the final 535.
            conversation.send("", "");
            reply = conversation.read();
        }
        return reply;
    }

    private String fetchToken() {
        long start = System.nanoTime();
        try {
            Secret token = tokens.token();
            pass(SmtpStep.AUTH_TOKEN, start, "token issued by " + ((Authentication.OAuth2) settings.authentication()).tokenUrl().getHost(), "", Map.of());
            return token.reveal();
        } catch (DeliveryException e) {
            throw fail(SmtpStep.AUTH_TOKEN, start, new FailureClassifier.Failure(SmtpStep.AUTH_TOKEN, e.category(),
                    e.isTransient(), null, e.getMessage()), e.getMessage());
        }
    }

    private boolean mailFrom(MailAddress sender, List<String> capabilities) {
        long start = System.nanoTime();
        boolean utf8 = sender.needsUtf8() || (testRecipient != null && testRecipient.needsUtf8());
        if (utf8 && !(settings.allowUtf8() && has(capabilities, "SMTPUTF8"))) {
            String why = settings.allowUtf8() ? "the relay does not offer SMTPUTF8, needed for a non-ASCII address"
                    : "a non-ASCII address needs UTF-8 addresses turned on in the settings";
            throw fail(SmtpStep.MAIL_FROM, start, new FailureClassifier.Failure(SmtpStep.MAIL_FROM,
                    FailureCategory.MESSAGE_REJECTED, false, null, why), why);
        }
        String command = "MAIL FROM:<" + sender.address() + ">" + (utf8 ? " SMTPUTF8" : "");
        SmtpReply reply = exchange(SmtpStep.MAIL_FROM, start, command, command);
        expect(SmtpStep.MAIL_FROM, start, reply, 250, "sender " + sender.address() + " accepted", Map.of());
        return utf8;
    }

    private void rcptTo(MailAddress recipient, boolean utf8, List<String> capabilities) {
        long start = System.nanoTime();
        String command = "RCPT TO:<" + recipient.address() + ">";
        SmtpReply reply = exchange(SmtpStep.RCPT_TO, start, command, command);
        if (reply.code() != 250 && reply.code() != 251) {
            throw fail(SmtpStep.RCPT_TO, start, FailureClassifier.ofReply(SmtpStep.RCPT_TO, reply), "recipient refused: " + reply);
        }
        pass(SmtpStep.RCPT_TO, start, "recipient " + recipient.address() + " accepted", reply.toString(), Map.of());
    }

    private void data() {
        long start = System.nanoTime();
        SmtpReply reply = exchange(SmtpStep.DATA, start, "DATA", "DATA");
        if (reply.code() != 354) {
            throw fail(SmtpStep.DATA, start, FailureClassifier.ofReply(SmtpStep.DATA, reply), "DATA refused: " + reply);
        }
        String messageId;
        try {
            OutboundMessage test = OutboundMessage.builder()
                    .from(settings.from())
                    .to(testRecipient)
                    .subject(TEST_SUBJECT)
                    .text("This is a test message from Outbound Relay, sent through " + settings.relayName() + " at "
                            + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " to check the relay settings.\n"
                            + "No action is needed.\n")
                    .build();
            messageId = test.messageId();
            SMTPMessage mime = MimeMessageFactory.create(session, test, settings);
            OutputStream raw = conversation.rawOutput();
            SMTPOutputStream body = new SMTPOutputStream(raw); // CRLF line ends and dot-stuffing
            CountingOutputStream counted = new CountingOutputStream(body);
            mime.writeTo(counted);
            body.ensureAtBOL();
            conversation.note("C: [message content, " + counted.count + " bytes, Message-ID " + messageId + "]");
            conversation.send(".");
            reply = conversation.read();
        } catch (IOException e) {
            throw failIo(SmtpStep.DATA, start, e, "the connection failed while sending the message");
        } catch (MessagingException e) {
            throw new IllegalStateException("the test message could not be built", e);
        }
        if (reply.code() != 250) {
            throw fail(SmtpStep.DATA, start, FailureClassifier.ofReply(SmtpStep.DATA, reply), "message refused: " + reply);
        }
        pass(SmtpStep.DATA, start, "test message accepted", reply.toString(), Map.of("messageId", messageId));
    }

    private SmtpReply exchange(SmtpStep step, long start, String command, String shown) {
        try {
            conversation.send(command, shown);
            return conversation.read();
        } catch (IOException e) {
            throw failIo(step, start, e, "no reply to " + shown.split(" ")[0]);
        }
    }

    private void expect(SmtpStep step, long start, SmtpReply reply, int code, String summary, Map<String, String> details) {
        if (reply.code() != code) {
            throw fail(step, start, FailureClassifier.ofReply(step, reply), "unexpected reply " + reply);
        }
        pass(step, start, summary, reply.toString(), details);
    }

    private void quietly(String command) {
        try {
            conversation.send(command);
            conversation.read();
        } catch (IOException e) {
            // Courtesy only.
        }
    }

    private void quit() {
        if (conversation == null) {
            return;
        }
        if (canQuit) {
            try {
                conversation.socket().setSoTimeout(2000);
                quietly("QUIT");
            } catch (IOException e) {
                // Courtesy only.
            }
        }
        conversation.close();
    }

    private void pass(SmtpStep step, long start, String summary, String reply, Map<String, String> details) {
        steps.add(new ProbeStepResult(step, ProbeStepResult.Outcome.PASSED, millisSince(start), summary, reply, details, null, ""));
    }

    private void skip(SmtpStep step, String why) {
        steps.add(new ProbeStepResult(step, ProbeStepResult.Outcome.SKIPPED, 0, why, "", Map.of(), null, ""));
    }

    private StepFailed failIo(SmtpStep step, long start, IOException e, String summary) {
        return fail(step, start, FailureClassifier.ofIo(step, e, settings.tlsMode(), settings.port()),
                summary + " (" + FailureClassifier.describe(e) + ")");
    }

    private StepFailed fail(SmtpStep step, long start, FailureClassifier.Failure failure, String summary) {
        steps.add(new ProbeStepResult(step, ProbeStepResult.Outcome.FAILED, millisSince(start), summary,
                failure.reply() == null ? "" : failure.reply().toString(), Map.of(), failure.category(),
                Remedies.remedy(failure.category(), failure.reply())));
        return new StepFailed();
    }

    private static Map<String, String> certificateDetails(SSLSocket ssl, X509Certificate leaf) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("protocol", ssl.getSession().getProtocol());
        details.put("cipher", ssl.getSession().getCipherSuite());
        details.put("subject", leaf.getSubjectX500Principal().getName());
        details.put("issuer", leaf.getIssuerX500Principal().getName());
        details.put("notAfter", leaf.getNotAfter().toInstant().toString()
                + " (" + ChronoUnit.DAYS.between(Instant.now(), leaf.getNotAfter().toInstant()) + " days left)");
        details.put("subjectAltNames", subjectAltNames(leaf));
        details.put("pin", CertificatePins.pinOf(leaf));
        return details;
    }

    private static String subjectAltNames(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return "none";
            }
            return names.stream().map(n -> (((Integer) n.get(0)) == 7 ? "IP:" : "DNS:") + n.get(1)).collect(Collectors.joining(", "));
        } catch (CertificateParsingException e) {
            return "unreadable";
        }
    }

    private static boolean has(List<String> capabilities, String keyword) {
        return capabilities.stream().anyMatch(c -> c.toUpperCase(Locale.ROOT).split("\\s+")[0].equals(keyword));
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Never connected.
        }
    }

    /** Stops the run at the first failing step; the step is already recorded. */
    private static final class StepFailed extends RuntimeException {
        StepFailed() {
            super(null, null, false, false);
        }
    }

    private static final class CountingOutputStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
