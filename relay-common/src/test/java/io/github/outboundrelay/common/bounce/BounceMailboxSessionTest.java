package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceMailboxSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.common.tls.TlsContext;
import java.net.URI;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Angus IMAP properties that close the holes Angus leaves open by default, and the settings' refusals. */
class BounceMailboxSessionTest {
    static final TlsContext TLS = TlsContext.create(TrustSettings.jvmDefault());

    static BounceMailboxSettings.Builder settings() {
        return BounceMailboxSettings.builder().host("imap.example.com")
                .authentication(Authentication.password("bounces@example.com", Secret.of("pw")));
    }

    @Test
    void startTlsIsRequiredNotMerelyEnabledAndTheNameIsVerified() {
        Properties p = BounceMailbox.properties(settings().tlsMode(TlsMode.STARTTLS).build(), "imap", TLS);
        assertThat(p).containsEntry("mail.imap.starttls.enable", "true").containsEntry("mail.imap.starttls.required", "true")
                .containsEntry("mail.imap.ssl.checkserveridentity", "true").containsEntry("mail.imap.ssl.protocols", "TLSv1.3 TLSv1.2")
                .containsEntry("mail.imap.ssl.socketFactory", TLS.socketFactory())
                .containsEntry("mail.imap.auth.mechanisms", "PLAIN LOGIN").containsEntry("mail.imap.peek", "true")
                .containsKeys("mail.imap.connectiontimeout", "mail.imap.timeout", "mail.imap.writetimeout");
        assertThat(settings().tlsMode(TlsMode.STARTTLS).build().port()).isEqualTo(143);
    }

    @Test
    void implicitTlsUsesImapsOn993() {
        BounceMailboxSettings s = settings().build();
        assertThat(s.port()).isEqualTo(993);
        assertThat(BounceMailbox.properties(s, "imaps", TLS)).containsEntry("mail.imaps.ssl.checkserveridentity", "true")
                .doesNotContainKey("mail.imaps.starttls.enable");
    }

    @Test
    void oauth2AuthenticatesWithXoauth2Only() {
        Authentication oauth = Authentication.oauth2("bounces@example.com",
                URI.create("https://login.example.com/token"), "client", Secret.of("secret"), "https://outlook.office365.com/.default");
        assertThat(BounceMailbox.properties(settings().authentication(oauth).build(), "imaps", TLS))
                .containsEntry("mail.imaps.auth.mechanisms", "XOAUTH2");
    }

    @Test
    void noTlsNoLoginAndNoMoveFolderAreRefused() {
        assertThatThrownBy(() -> settings().tlsMode(TlsMode.NONE).build()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("bounceTlsMode");
        assertThatThrownBy(() -> settings().authentication(Authentication.NONE).build()).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> settings().disposition(BounceMailboxSettings.Disposition.MOVE).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("bounceMoveTo");
    }
}
