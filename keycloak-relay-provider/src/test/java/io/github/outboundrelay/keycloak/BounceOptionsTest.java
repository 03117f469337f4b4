package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The Outbound relay tab's bounce mailbox fields: defaults, the vault, and an error naming each field and its fix. */
class BounceOptionsTest {
    static final UnaryOperator<String> VAULT = raw -> raw.equals("${vault.bounce}") ? "from-the-vault" : raw;

    static Map<String, List<String>> tab(String... keyValues) {
        Map<String, List<String>> config = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            config.put(keyValues[i], List.of(keyValues[i + 1]));
        }
        return config;
    }

    static BounceOptions parse(Map<String, List<String>> config) {
        return BounceOptions.parse(config, VAULT, TrustSettings.jvmDefault());
    }

    @Test
    void withoutAHostNoMailboxIsReadAndUsersAreUnverifiedByDefault() {
        BounceOptions none = parse(tab());
        assertThat(none.mailboxConfigured()).isFalse();
        assertThat(none.markUnverified()).isTrue();
        assertThat(none.pollInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(parse(tab(BounceOptions.MARK_UNVERIFIED, "false")).markUnverified()).isFalse();
    }

    @Test
    void aMailboxGetsTheUsualPortItsFolderTheVaultsPasswordAndNeverShowsIt() {
        BounceOptions options = parse(tab(BounceOptions.HOST, "imap.example.org", BounceOptions.TLS_MODE, "starttls",
                BounceOptions.USER, "bounces", BounceOptions.PASSWORD, "${vault.bounce}", BounceOptions.POLL_MINUTES, "2",
                BounceOptions.DISPOSITION, "move", BounceOptions.MOVE_TO, "Done"));
        BounceMailboxSettings mailbox = options.mailbox();
        assertThat(mailbox.port()).isEqualTo(143);
        assertThat(mailbox.tlsMode()).isEqualTo(TlsMode.STARTTLS);
        assertThat(mailbox.folder()).isEqualTo("INBOX");
        assertThat(mailbox.disposition()).isEqualTo(BounceMailboxSettings.Disposition.MOVE);
        assertThat(mailbox.authentication().toString()).doesNotContain("from-the-vault");
        assertThat(options.pollInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(options.describe().toString()).contains("imap.example.org", "bounces").doesNotContain("from-the-vault")
                .doesNotContain("vault.bounce");
        assertThat(options.toString()).doesNotContain("from-the-vault");
        assertThat(options).as("equal settings, one mailbox").isEqualTo(parse(tab(BounceOptions.HOST, "imap.example.org",
                BounceOptions.TLS_MODE, "starttls", BounceOptions.USER, "bounces", BounceOptions.PASSWORD, "from-the-vault",
                BounceOptions.POLL_MINUTES, "2", BounceOptions.DISPOSITION, "move", BounceOptions.MOVE_TO, "Done")));
    }

    @Test
    void eachBadFieldIsNamedWithItsFix() {
        String[] base = {BounceOptions.HOST, "imap.example.org", BounceOptions.USER, "bounces", BounceOptions.PASSWORD, "pw"};
        assertField(tab(BounceOptions.HOST, "imap.example.org", BounceOptions.PASSWORD, "pw"), BounceOptions.USER, "IMAP user");
        assertField(tab(BounceOptions.HOST, "imap.example.org", BounceOptions.USER, "bounces"), BounceOptions.PASSWORD, "vault");
        assertField(with(base, BounceOptions.TLS_MODE, "none"), BounceOptions.TLS_MODE, "plain text");
        assertField(with(base, BounceOptions.PORT, "imap"), BounceOptions.PORT, "993");
        assertField(with(base, BounceOptions.PORT, "70000"), BounceOptions.PORT, "65535");
        assertField(with(base, BounceOptions.DISPOSITION, "archive"), BounceOptions.DISPOSITION, "flag");
        assertField(with(base, BounceOptions.DISPOSITION, "move"), BounceOptions.MOVE_TO, "moved to");
        assertField(tab(BounceOptions.POLL_MINUTES, "0"), BounceOptions.POLL_MINUTES, "such as 5");
    }

    static Map<String, List<String>> with(String[] base, String key, String value) {
        Map<String, List<String>> config = tab(base);
        config.put(key, List.of(value));
        return config;
    }

    static void assertField(Map<String, List<String>> config, String field, String fixMentions) {
        assertThatThrownBy(() -> parse(config)).isInstanceOfSatisfying(InvalidInputException.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).contains(fixMentions);
        });
    }

    @Test
    void theSavedPasswordIsNotSentToAnotherMailboxUnlessTypedAgain() {
        Map<String, List<String>> saved = tab(BounceOptions.HOST, "imap.example.org", BounceOptions.USER, "bounces",
                BounceOptions.PASSWORD, "saved-pw");
        assertThat(BounceOptions.passwordMoved(null, saved)).as("first save").isEmpty();
        assertThat(BounceOptions.passwordMoved(saved, with(saved, BounceOptions.FOLDER, "Bounces"))).as("folder only").isEmpty();
        assertThat(BounceOptions.passwordMoved(saved, with(saved, BounceOptions.HOST, "IMAP.example.org"))).as("same host").isEmpty();
        assertThat(BounceOptions.passwordMoved(saved, with(saved, BounceOptions.TLS_MODE, "implicit"))).as("the default").isEmpty();
        Map<String, List<String>> newHostNewPassword = with(saved, BounceOptions.HOST, "imap.attacker.test");
        newHostNewPassword.put(BounceOptions.PASSWORD, List.of("typed-again"));
        assertThat(BounceOptions.passwordMoved(saved, newHostNewPassword)).isEmpty();
        for (String key : List.of(BounceOptions.HOST, BounceOptions.PORT, BounceOptions.USER)) {
            assertThat(BounceOptions.passwordMoved(saved, with(saved, key, "10.0.0.9"))).as(key).hasValueSatisfying(e -> {
                assertThat(e.field()).isEqualTo(BounceOptions.PASSWORD);
                assertThat(e.getMessage()).contains(key + " changed", "Type the mailbox password again");
            });
        }
    }

    static Map<String, List<String>> with(Map<String, List<String>> base, String key, String value) {
        Map<String, List<String>> config = new HashMap<>(base);
        config.put(key, List.of(value));
        return config;
    }

    static final Map<String, List<String>> MAILBOX_WITH_VERP = tab(BounceOptions.HOST, "imap.example.org",
            BounceOptions.USER, "bounces", BounceOptions.PASSWORD, "pw", BounceOptions.VERP, "true");

    @Test
    void withVerpTheRelaysSendFromTheVerpFormOfTheEnvelopeSenderAndTheMailboxMatchesIt() {
        RelaySettings settings = RelaySettings.builder().host("smtp.example.org")
                .from(MailAddress.parse("noreply@example.org", "from"))
                .envelopeFrom(MailAddress.parse("bounces@example.org", "envelopeFrom")).build();
        ServerOptions server = ServerOptions.parse(key -> null, Path.of("/opt/keycloak"));

        RelayConfiguration on = new RelayConfiguration(settings, RealmRelayOptions.DEFAULTS, server, false)
                .withBounces(parse(MAILBOX_WITH_VERP));
        RelayConfiguration off = new RelayConfiguration(settings, RealmRelayOptions.DEFAULTS, server, false)
                .withBounces(parse(tab(BounceOptions.HOST, "imap.example.org", BounceOptions.USER, "bounces",
                        BounceOptions.PASSWORD, "pw")));

        assertThat(on.relays()).allSatisfy(relay -> assertThat(relay.verp()).isTrue());
        assertThat(on.bounces().mailbox().verpSender()).isEqualTo("bounces@example.org");
        assertThat(on.bounces().describe()).containsEntry("verp", true);
        assertThat(off.settings().verp()).isFalse();
        assertThat(off.bounces().mailbox().verpSender()).isNull();
    }

    @Test
    void verpWithoutABounceMailboxIsRefusedByName() {
        assertField(tab(BounceOptions.VERP, "true"), BounceOptions.VERP, "Set the bounce mailbox");
    }
}
