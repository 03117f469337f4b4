package io.github.outboundrelay.common.mime;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rendered mail through a real SMTP server (subethasmtp, STARTTLS and AUTH required) on loopback: the server
 * receives exactly the rendered bytes, so Angus dot-stuffed lines starting with "." once and the server removed
 * that once, and nothing else was changed on the way.
 */
class RenderedMailOverSmtpTest {
    private static final int MESSAGES = 60;

    @Test
    void theRelayReceivesExactlyTheRenderedBytes() throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
        try (EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), "render", "render-pw");
             RelayClient client = RelayClient.create(settings(relay, certificate))) {
            RandomMessages messages = new RandomMessages(7L);
            List<OutboundMessage> sent = new ArrayList<>();
            List<byte[]> rendered = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                OutboundMessage message = messages.next();
                byte[] bytes = MimeRenderer.render(message, client.settings(), Instant.now());
                Receipt receipt = client.send(message, bytes, 1);
                assertThat(receipt.accepted()).hasSize(message.recipients().size());
                sent.add(message);
                rendered.add(bytes);
            }
            List<EmbeddedRelay.ReceivedMail> received = relay.awaitMessages(MESSAGES, Duration.ofSeconds(20));
            assertThat(received).hasSize(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                byte[] data = received.get(i).data();
                byte[] expected = rendered.get(i);
                assertThat(data.length).as("message %d", i).isGreaterThanOrEqualTo(expected.length);
                byte[] prefix = Arrays.copyOfRange(data, 0, data.length - expected.length);
                byte[] tail = Arrays.copyOfRange(data, data.length - expected.length, data.length);
                assertThat(new String(tail, StandardCharsets.UTF_8)).as("message %d", i)
                        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
                // The server may put its own trace header in front; nothing else.
                assertThat(new String(prefix, StandardCharsets.US_ASCII)).as("message %d", i)
                        .satisfiesAnyOf(p -> assertThat(p).isEmpty(), p -> assertThat(p).startsWith("Received: "));
                assertThat(received.get(i).recipients()).containsExactlyElementsOf(
                        sent.get(i).recipients().stream().map(MailAddress::address).toList());
            }
            assertThat(rendered.stream().anyMatch(r -> new String(r, StandardCharsets.US_ASCII).contains("\r\n.")))
                    .as("some message has a line starting with a dot").isTrue();
        }
    }

    private static RelaySettings settings(EmbeddedRelay relay, SelfSignedCertificate certificate) {
        return RelaySettings.builder()
                .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.STARTTLS)
                .authentication(Authentication.password("render", Secret.of("render-pw")))
                .trust(TrustSettings.pem(certificate.pem()))
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .build();
    }
}
