package io.github.outboundrelay.common.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;

import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MimeRendererTest {
    private static final Instant DATE = Instant.parse("2026-12-03T07:30:15Z");

    RelaySettings.Builder settings() {
        return RelaySettings.builder().host("127.0.0.1").port(25).from(MailAddress.of("ci@example.com", "CI", "from"));
    }

    @Test
    void aNonAsciiAddressIsWrittenAsUtf8WhenTheSettingsAllowItAndReadsBack() throws Exception {
        OutboundMessage message = OutboundMessage.builder().to("Jürgen <jürgen@bücher.example>").subject("Grüße")
                .text("Hallo").build();

        byte[] rendered = MimeRenderer.render(message, settings().allowUtf8(true).build(), DATE);

        assertThat(new String(rendered, StandardCharsets.UTF_8)).contains("<jürgen@bücher.example>\r\n");
        Properties utf8 = new Properties();
        utf8.put("mail.mime.allowutf8", "true");
        MimeMessage mime = new MimeMessage(Session.getInstance(utf8), new ByteArrayInputStream(rendered));
        InternetAddress to = (InternetAddress) mime.getAllRecipients()[0];
        assertThat(to.getAddress()).isEqualTo("jürgen@bücher.example");
        assertThat(to.getPersonal()).isEqualTo("Jürgen");
        assertThat(mime.getSubject()).isEqualTo("Grüße");
    }

    @Test
    void aNonAsciiAddressIsRefusedWhenTheSettingsDoNotAllowIt() {
        OutboundMessage message = OutboundMessage.builder().to("jürgen@bücher.example").subject("x").text("x").build();

        assertThatThrownBy(() -> MimeRenderer.render(message, settings().build(), DATE))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("allowUtf8");
    }

    @Test
    void aRenderCarriesTheFromAndReplyToOfTheSettingsItWasRenderedWith() {
        OutboundMessage message = OutboundMessage.builder().to("a@example.com").subject("x").text("x").build();
        RelaySettings first = settings().build();
        RelaySettings withReplyTo = settings().replyTo(MailAddress.of("help@example.com", "", "replyTo")).build();
        RelaySettings otherFrom = settings().from(MailAddress.of("alerts@example.com", "Alerts", "from")).build();

        byte[] rendered = MimeRenderer.render(message, first, DATE);

        assertThat(MimeRenderer.rendersFor(rendered, message, first)).isTrue();
        assertThat(MimeRenderer.rendersFor(rendered, message, withReplyTo)).isFalse();
        assertThat(MimeRenderer.rendersFor(rendered, message, otherFrom)).isFalse();
        assertThat(MimeRenderer.rendersFor(MimeRenderer.render(message, withReplyTo, DATE), message, first)).isFalse();
    }

    @Test
    void aLongPlainTextLineGoesQuotedPrintableAndALineStartingWithADotIsNotStuffedHere() {
        String longLine = "word ".repeat(250);
        OutboundMessage message = OutboundMessage.builder().to("a@example.com").subject("x")
                .text(".hidden\n" + longLine).build();

        String rendered = new String(MimeRenderer.render(message, settings().build(), DATE), StandardCharsets.US_ASCII);

        assertThat(rendered).contains("Content-Transfer-Encoding: quoted-printable\r\n\r\n.hidden\r\n");
        assertThat(rendered.lines().mapToInt(String::length).max().orElseThrow()).isLessThanOrEqualTo(78);
    }
}
