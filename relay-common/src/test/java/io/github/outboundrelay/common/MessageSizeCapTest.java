package io.github.outboundrelay.common;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The message size cap: 25 MiB unless raised, checked before anything is queued or sent, against a real relay. */
class MessageSizeCapTest {
    static final int MIB = 1 << 20;

    static OutboundMessage ofSize(long contentBytes) {
        String subject = "Large";
        return OutboundMessage.builder().to("big@example.com").subject(subject)
                .text("x".repeat((int) (contentBytes - subject.length()))).build();
    }

    @Test
    void aMessageOverTheDefaultCapIsRefusedAtSubmitNamingTheLimitAndTheSettingAndTheOthersAreDelivered(@TempDir Path spool)
            throws Exception {
        try (ScriptedSmtpPeer relay = QueueTestPeer.start();
             MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(relay)).spoolDirectory(spool).manualDispatch().build()) {
            assertThat(QueueTestPeer.settings(relay).maxMessageBytes()).isEqualTo(25L * MIB);
            OutboundMessage first = mail(1);
            queue.submit(first);
            InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
                    () -> queue.submit(ofSize(25L * MIB + 1)));
            assertThat(refused).isNotNull();
            assertThat(refused.field()).isEqualTo("maxMessageBytes");
            assertThat(refused.getMessage()).contains("25.0 MiB", "above the limit of 25.0 MiB", "raise maxMessageBytes",
                    "nothing was queued or sent");
            OutboundMessage second = mail(2);
            queue.submit(second);

            assertThat(queue.metrics().queueDepth()).as("the large mail never reached the spool").isEqualTo(2);
            queue.runUntilQuiet(Duration.ofSeconds(20));
            assertThat(relay.messageIds()).containsExactlyInAnyOrder(first.messageId(), second.messageId());
            assertThat(queue.deadLetters(10)).isEmpty();
            assertThat(queue.metrics().queueDepth()).isZero();
        }
    }

    @Test
    void aMessageExactlyAtTheCapIsAcceptedAndARaisedCapLetsALargerOneThrough(@TempDir Path spool) throws Exception {
        try (ScriptedSmtpPeer relay = QueueTestPeer.start()) {
            RelaySettings raised = QueueTestPeer.settings(relay).toBuilder().maxMessageBytes(30L * MIB).build();
            OutboundMessage large = ofSize(25L * MIB + 1);
            try (MailQueue queue = MailQueue.builder().relay(raised).spoolDirectory(spool).manualDispatch().build()) {
                queue.submit(large);
                queue.runUntilQuiet(Duration.ofSeconds(60));
            }
            assertThat(relay.messageIds()).containsExactly(large.messageId());
            assertThat(relay.received().get(0).data()).hasSizeGreaterThan(25 * MIB);
            try (RelayClient client = RelayClient.create(QueueTestPeer.settings(relay).toBuilder().maxMessageBytes(MIB).build())) {
                assertThat(client.send(ofSize(MIB)).accepted()).containsExactly("big@example.com");
            }
        }
    }

    @Test
    void theCapAlsoHoldsForASynchronousSendAndTheRelayIsNotContacted() throws Exception {
        try (ScriptedSmtpPeer relay = QueueTestPeer.start();
             RelayClient client = RelayClient.create(QueueTestPeer.settings(relay).toBuilder().maxMessageBytes(64 * 1024).build())) {
            InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
                    () -> client.send(ofSize(64 * 1024 + 1)));
            assertThat(refused.field()).isEqualTo("maxMessageBytes");
            assertThat(refused.getMessage()).contains("above the limit of 0.1 MiB");
            assertThat(relay.connections()).isZero();
        }
    }

    /** The size check skips counting when three bytes a character fit: the characters alone must not decide. */
    @Test
    void theCapCountsUtf8BytesNotCharacters() throws Exception {
        try (ScriptedSmtpPeer relay = QueueTestPeer.start();
             RelayClient client = RelayClient.create(QueueTestPeer.settings(relay).toBuilder().maxMessageBytes(64 * 1024).build())) {
            OutboundMessage euros = OutboundMessage.builder().to("big@example.com").subject("")
                    .text("\u20ac".repeat(30_000)).build(); // 30,000 characters below the cap, 90,000 bytes above it
            InvalidInputException refused = catchThrowableOfType(InvalidInputException.class, () -> client.send(euros));
            assertThat(refused.getMessage()).contains("(90000 bytes)");
            assertThat(relay.connections()).isZero();
            // Exactly at the cap, where three bytes a character would not fit: counted, and let through.
            assertThat(client.send(ofSize(64 * 1024)).accepted()).containsExactly("big@example.com");
        }
    }

    @Test
    void aQueueRefusesAMailThatAnyOfItsRelaysCouldNotCarry(@TempDir Path spool) throws Exception {
        try (ScriptedSmtpPeer primary = QueueTestPeer.start(); ScriptedSmtpPeer fallback = QueueTestPeer.start();
             MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(primary).toBuilder().maxMessageBytes(2 * MIB).build())
                     .relay(QueueTestPeer.settings(fallback).toBuilder().maxMessageBytes(MIB).build())
                     .spoolDirectory(spool).manualDispatch().build()) {
            InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
                    () -> queue.submit(ofSize(MIB + 1)));
            assertThat(refused.getMessage()).contains("for relay 127.0.0.1:" + fallback.port());
        }
    }

    @Test
    void theSettingIsValidatedNamingTheField() {
        for (long bad : List.of(0L, 1023L, 150L * MIB + 1, -1L)) {
            InvalidInputException e = catchThrowableOfType(InvalidInputException.class,
                    () -> RelaySettings.builder().host("relay.example.com").maxMessageBytes(bad).build());
            assertThat(e).as(Long.toString(bad)).isNotNull();
            assertThat(e.field()).isEqualTo("maxMessageBytes");
            assertThat(e.fix()).contains("25 MiB, the default");
        }
        assertThat(RelaySettings.builder().host("relay.example.com").maxMessageBytes(150L * MIB).build().maxMessageBytes())
                .isEqualTo(150L * MIB);
    }

    @Test
    void contentBytesCountsUtf8BytesOfSubjectHeadersAndBodies() {
        OutboundMessage m = OutboundMessage.builder().to("a@example.com").subject("é").text("a€").html("😀")
                .header("X-Job", "ci").build();
        assertThat(m.contentBytes()).isEqualTo(2 + (1 + 3) + 4 + ("X-Job".length() + 2));
    }
}
