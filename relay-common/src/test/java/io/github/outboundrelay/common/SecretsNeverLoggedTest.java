package io.github.outboundrelay.common;

import io.github.outboundrelay.common.transport.AngusTraceGuard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import io.github.outboundrelay.testing.TokenEndpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With every logger of the JVM turned up to ALL, Angus's included, nothing relay-common does writes a password,
 * token, client secret, AUTH exchange or message body to any log, exception message, delivery event or transcript.
 */
class SecretsNeverLoggedTest {
    static final String PASSWORD = "pw-SECRET-1";
    static final String WRONG_PASSWORD = "pw-WRONG-2";
    static final String TOKEN = "tok-SECRET-3";
    static final String CLIENT_SECRET = "cs-SECRET-4";
    static final String RESET_LINK = "https://sso.example.com/reset?key=RESETKEY123";

    // Other tests' background threads (pool janitor, queue senders) may log while this test reads.
    final List<String> captured = new CopyOnWriteArrayList<>();
    final List<String> loggerNames = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public synchronized void publish(LogRecord r) {
            loggerNames.add(String.valueOf(r.getLoggerName()));
            StringBuilder text = new StringBuilder(String.valueOf(r.getMessage()));
            if (r.getParameters() != null) {
                for (Object p : r.getParameters()) {
                    text.append(' ').append(p);
                }
            }
            if (r.getThrown() != null) {
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                text.append(' ').append(trace);
            }
            captured.add(text.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    final Logger root = Logger.getLogger("");
    final List<Logger> raised = new ArrayList<>();

    @BeforeEach
    void captureEverything() {
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        for (String name : List.of("", "org.eclipse.angus", AngusTraceGuard.SMTP_LOGGER, AngusTraceGuard.PROTOCOL_LOGGER,
                AngusTraceGuard.RELAY_SMTP_LOGGER, AngusTraceGuard.RELAY_PROTOCOL_LOGGER, "io.github.outboundrelay")) {
            Logger logger = Logger.getLogger(name);
            logger.setLevel(Level.ALL);
            raised.add(logger);
        }
    }

    @AfterEach
    void restore() {
        root.removeHandler(capture);
        raised.forEach(l -> l.setLevel(l == root ? Level.INFO : null));
    }

    @Test
    void nothingSecretReachesAnyLog() throws Exception {
        List<String> surfaced = new ArrayList<>();
        SelfSignedCertificate cert = SelfSignedCertificate.forLoopback();
        OutboundMessage reset = OutboundMessage.builder().to("alice@example.com").subject("Reset your password")
                .text("Click " + RESET_LINK + " to reset.").html("<a href=\"" + RESET_LINK + "\">Reset</a>").build();
        try (EmbeddedRelay relay = EmbeddedRelay.start(cert.serverContext(), "ci@example.com", PASSWORD)) {
            RelaySettings good = FailureCategoriesTest.plain(relay.port()).tlsMode(TlsMode.STARTTLS)
                    .trust(TrustSettings.pem(cert.pem()))
                    .authentication(Authentication.password("ci@example.com", Secret.of(PASSWORD))).build();
            try (RelayClient client = RelayClient.create(good)) {
                client.send(reset);
                surfaced.addAll(client.probe(MailAddress.parse("alice@example.com", "to")).transcript());
                client.deliveryLog().recent().forEach(e -> surfaced.add(e.toLogLine()));
            }
            RelaySettings bad = good.toBuilder().authentication(Authentication.password("ci@example.com", Secret.of(WRONG_PASSWORD))).build();
            try (RelayClient client = RelayClient.create(bad)) {
                DeliveryException e = catchThrowableOfType(DeliveryException.class, () -> client.send(reset));
                surfaced.add(e.getMessage() + " " + e.remedy());
                surfaced.addAll(RelayClient.probe(bad, null).transcript());
            }
        }
        try (TokenEndpoint endpoint = new TokenEndpoint(TOKEN, 3600);
             ScriptedSmtpPeer peer = ScriptedSmtpPeer.builder().startTls(cert.serverContext()).capability("AUTH XOAUTH2").start()) {
            RelaySettings oauth = FailureCategoriesTest.plain(peer.port()).tlsMode(TlsMode.STARTTLS)
                    .trust(TrustSettings.pem(cert.pem()))
                    .authentication(Authentication.oauth2("ci@example.com", endpoint.url(), "client", Secret.of(CLIENT_SECRET), "s"))
                    .build();
            try (RelayClient client = RelayClient.create(oauth)) {
                client.send(reset);
                surfaced.addAll(client.probe(null).transcript());
                surfaced.add(oauth.toString());
            }
        }

        assertThat(loggerNames).as("Angus logged at FINE, so the capture works").anyMatch(n -> n.startsWith("org.eclipse.angus"));
        List<String> everything = new ArrayList<>(captured);
        everything.addAll(surfaced);
        String plainAuth = Base64.getEncoder().encodeToString(("\0ci@example.com\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        for (String forbidden : List.of(PASSWORD, WRONG_PASSWORD, TOKEN, CLIENT_SECRET, "RESETKEY123", plainAuth,
                "alice@example.com")) {
            // The admin's own test recipient may appear in the transcript they asked for, nowhere else.
            assertThat(everything.stream().filter(line -> line.contains(forbidden) && !line.startsWith("C: RCPT TO:")))
                    .as("lines containing " + forbidden).isEmpty();
        }
        assertThat(everything.stream().filter(line -> line.matches("(?s).*AUTH (PLAIN|LOGIN|XOAUTH2) [A-Za-z0-9+/=]{8,}.*")))
                .as("AUTH exchanges").isEmpty();
    }
}
