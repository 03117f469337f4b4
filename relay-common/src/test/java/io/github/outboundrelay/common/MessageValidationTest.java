package io.github.outboundrelay.common;

import io.github.outboundrelay.common.transport.LocalHostName;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Header injection is refused in every field; addresses are validated before anything is queued or sent. */
class MessageValidationTest {

    static OutboundMessage.Builder valid() {
        return OutboundMessage.builder().to("alice@example.com").subject("s").text("body");
    }

    static InvalidInputException refused(Consumer<OutboundMessage.Builder> change) {
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> {
            OutboundMessage.Builder b = valid();
            change.accept(b);
            b.build();
        });
        assertThat(e).as("must be refused").isNotNull();
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"\r\nBcc: victim@example.com", "\nBcc: victim@example.com", "\rX-Injected: yes"})
    void lineBreaksAreRefusedInEveryHeaderField(String injection) {
        assertThat(refused(b -> b.to("bob@example.com" + injection)).field()).isEqualTo("to[1]");
        assertThat(refused(b -> b.cc("bob@example.com" + injection)).field()).isEqualTo("cc[0]");
        assertThat(refused(b -> b.bcc("bob@example.com" + injection)).field()).isEqualTo("bcc[0]");
        assertThat(refused(b -> b.from("Jenkins" + injection + " <ci@example.com>")).field()).isEqualTo("from");
        assertThat(refused(b -> b.replyTo("team@example.com" + injection)).field()).isEqualTo("replyTo");
        assertThat(refused(b -> b.subject("Build failed" + injection)).field()).isEqualTo("subject");
        assertThat(refused(b -> b.header("X-Job", "app" + injection)).field()).isEqualTo("headers.X-Job");
        assertThat(catchThrowableOfType(InvalidInputException.class,
                () -> MailAddress.of("ci@example.com", "Jenkins" + injection, "fromDisplayName")).field()).isEqualTo("fromDisplayName");
        assertThat(refused(b -> b.to("bob@example.com" + injection)).fix()).contains("inject");
    }

    @Test
    void headerNamesAndManagedHeadersAreRefused() {
        assertThat(refused(b -> b.header("X Bad", "v")).field()).isEqualTo("headers");
        assertThat(refused(b -> b.header("Bcc", "x@example.com")).fix()).contains("bcc field");
        assertThat(refused(b -> b.header("Content-Type", "text/html")).field()).isEqualTo("headers.Content-Type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice", "alice@", "@example.com", "alice@@example.com", "alice@exa mple.com", "al ice@example.com",
            "alice@-example.com", "<alice@example.com", "alice@example..com"})
    void malformedAddressesAreRefusedWithTheFieldNamed(String address) {
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> MailAddress.parse(address, "to"));
        assertThat(e).isNotNull();
        assertThat(e.field()).isEqualTo("to");
        assertThat(e.fix()).contains("name@example.com");
    }

    @Test
    void addressesParseWithDisplayNamesAndUtf8() {
        MailAddress a = MailAddress.parse("\"Build Bot\" <ci@example.com>", "from");
        assertThat(a.address()).isEqualTo("ci@example.com");
        assertThat(a.displayName()).isEqualTo("Build Bot");
        MailAddress utf8 = MailAddress.parse("jörg@bücher.example", "to");
        assertThat(utf8.needsUtf8()).isTrue();
        assertThat(a.needsUtf8()).isFalse();
        assertThat(MailAddress.parse("ops+alerts@[127.0.0.1]", "to").domain()).isEqualTo("[127.0.0.1]");
    }

    @Test
    void aMessageNeedsARecipientAndABody() {
        assertThat(catchThrowableOfType(InvalidInputException.class,
                () -> OutboundMessage.builder().subject("s").text("b").build()).field()).isEqualTo("to");
        assertThat(catchThrowableOfType(InvalidInputException.class,
                () -> OutboundMessage.builder().to("a@example.com").subject("s").build()).field()).isEqualTo("body");
        assertThat(catchThrowableOfType(InvalidInputException.class,
                () -> OutboundMessage.builder().to("a@example.com").text("b").build()).field()).isEqualTo("subject");
    }

    @Test
    void messageIdIsFixedAtBuildAndKeptWhenGiven() {
        OutboundMessage m = valid().from("ci@example.com").build();
        assertThat(m.messageId()).matches("<[0-9a-f-]{36}@example\\.com>");
        assertThat(valid().messageId("<kept@example.com>").build().messageId()).isEqualTo("<kept@example.com>");
        assertThat(valid().build().messageId()).as("no From: this host's name, as jakarta.mail would")
                .endsWith("@" + LocalHostName.messageIdDomain() + ">");
        assertThat(refused(b -> b.messageId("no-brackets@example.com")).field()).isEqualTo("messageId");
    }

    @Test
    void toStringShowsNeitherSubjectNorBody() {
        OutboundMessage m = valid().subject("Reset your password").text("https://sso.example.com/reset?key=SECRET").build();
        assertThat(m.toString()).doesNotContain("SECRET").doesNotContain("Reset your password");
    }
}
