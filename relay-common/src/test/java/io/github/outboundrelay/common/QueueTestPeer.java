package io.github.outboundrelay.common;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.io.IOException;
import java.time.Duration;

/**
 * The queue tests' relay: a {@link ScriptedSmtpPeer} offering AUTH PLAIN/LOGIN in plaintext, and settings that reach
 * it. Plaintext, so the settings allow credentials over plaintext: STARTTLS is covered by the EmbeddedRelay tests.
 * These settings live here, not in relay-test-support, which must not depend on relay-common (see its pom).
 */
final class QueueTestPeer {
    private QueueTestPeer() {
    }

    static ScriptedSmtpPeer start() throws IOException {
        return ScriptedSmtpPeer.builder().greeting("220 localhost ESMTP queue test")
                .ehloReply("250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8").start();
    }

    /** Settings for this peer: plaintext, password AUTH, short timeouts. */
    static RelaySettings settings(ScriptedSmtpPeer peer) {
        return RelaySettings.builder()
                .host("127.0.0.1").port(peer.port()).tlsMode(TlsMode.NONE)
                .authentication(Authentication.password("queue-test", Secret.of("queue-test-pw")))
                .allowCredentialsOverPlaintext(true)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .build();
    }
}
