package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProposedSettingsTest {
    static Map<String, String> saved() {
        return Map.of("host", "smtp.example.com", "port", "587", "auth", "true", "user", "sso@example.com",
                "password", "the-stored-password");
    }

    static Map<String, String> proposed(String host) {
        Map<String, String> smtp = new HashMap<>(saved());
        smtp.put("host", host);
        smtp.put("password", ProposedSettings.MASKED);
        return smtp;
    }

    @Test
    void aMaskedPasswordForTheSameRelayAndUserIsTheSavedOne() {
        assertThat(ProposedSettings.withSavedSecrets(proposed("smtp.example.com"), saved()))
                .containsEntry("password", "the-stored-password");
    }

    @Test
    void aMaskedPasswordNeverGoesToAnotherHostPortOrUser() {
        assertThat(ProposedSettings.withSavedSecrets(proposed("attacker.example.net"), saved()))
                .containsEntry("password", ProposedSettings.MASKED);
        Map<String, String> otherPort = proposed("smtp.example.com");
        otherPort.put("port", "2525");
        assertThat(ProposedSettings.withSavedSecrets(otherPort, saved())).containsEntry("password", ProposedSettings.MASKED);
        Map<String, String> otherUser = proposed("smtp.example.com");
        otherUser.put("user", "someone@example.net");
        assertThat(ProposedSettings.withSavedSecrets(otherUser, saved())).containsEntry("password", ProposedSettings.MASKED);
    }

    @Test
    void aPasswordTypedInTheFormIsUsedAsTyped() {
        Map<String, String> typed = proposed("attacker.example.net");
        typed.put("password", "typed");
        assertThat(ProposedSettings.withSavedSecrets(typed, saved())).containsEntry("password", "typed");
    }

    static Map<String, String> savedToken() {
        Map<String, String> smtp = new HashMap<>(Map.of("host", "smtp.office365.com", "port", "587", "starttls", "true",
                "auth", "true", "authType", "token", "user", "sso@example.com",
                "authTokenUrl", "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
                "authTokenClientId", "keycloak-mailer", "authTokenScope", "https://outlook.office365.com/.default"));
        smtp.put("authTokenClientSecret", "the-stored-client-secret");
        return smtp;
    }

    static Map<String, String> proposedToken(String key, String value) {
        Map<String, String> smtp = new HashMap<>(savedToken());
        smtp.put("authTokenClientSecret", ProposedSettings.MASKED);
        smtp.put(key, value);
        return smtp;
    }

    @Test
    void aMaskedClientSecretForTheSameTokenEndpointClientAndScopeIsTheSavedOne() {
        assertThat(ProposedSettings.withSavedSecrets(proposedToken("from", "other@example.com"), savedToken()))
                .containsEntry("authTokenClientSecret", "the-stored-client-secret");
    }

    @Test
    void aMaskedClientSecretNeverGoesToAnotherTokenUrlClientOrScope() {
        for (Map<String, String> elsewhere : List.of(
                proposedToken("authTokenUrl", "http://attacker.example.net/token"),
                proposedToken("authTokenUrl", "https://login.microsoftonline.com/tenant/oauth2/v2.0/token?x=1"),
                proposedToken("authTokenClientId", "someone-else"),
                proposedToken("authTokenScope", "https://graph.microsoft.com/.default"))) {
            assertThat(ProposedSettings.withSavedSecrets(elsewhere, savedToken()))
                    .as("%s", elsewhere).containsEntry("authTokenClientSecret", ProposedSettings.MASKED);
        }
    }

    @Test
    void aMaskedPasswordNeverCrossesAChangedTlsMode() {
        Map<String, String> saved = new HashMap<>(saved());
        saved.put("starttls", "true");
        Map<String, String> plaintext = proposed("smtp.example.com");
        plaintext.put("starttls", "false");
        Map<String, String> implicit = proposed("smtp.example.com");
        implicit.put("ssl", "true");
        assertThat(ProposedSettings.withSavedSecrets(plaintext, saved)).containsEntry("password", ProposedSettings.MASKED);
        assertThat(ProposedSettings.withSavedSecrets(implicit, saved)).containsEntry("password", ProposedSettings.MASKED);
    }

    @Test
    void anEmptyPortMeansTheTlsModesPortWhenComparing() {
        Map<String, String> saved = new HashMap<>(saved());
        saved.put("port", "");
        saved.put("ssl", "true");
        Map<String, String> explicit = proposed("smtp.example.com");
        explicit.put("port", "465");
        explicit.put("ssl", "true");
        Map<String, String> starttls = proposed("smtp.example.com");
        starttls.put("port", "");
        starttls.put("starttls", "true");
        assertThat(ProposedSettings.withSavedSecrets(explicit, saved)).containsEntry("password", "the-stored-password");
        assertThat(ProposedSettings.withSavedSecrets(starttls, saved)).containsEntry("password", ProposedSettings.MASKED);
    }

    @Test
    void aSaveThatMovesAMaskedSecretIsRefusedNamingTheSecretAndWhatChanged() {
        InvalidInputException refused = ProposedSettings.maskedSecretLeaving(
                proposedToken("authTokenUrl", "http://attacker.example.net/token"), savedToken()).orElseThrow();
        assertThat(refused.field()).isEqualTo("authTokenClientSecret");
        assertThat(refused.problem()).contains("authTokenUrl changed");
        assertThat(refused.getMessage()).doesNotContain("the-stored-client-secret");
        assertThat(ProposedSettings.maskedSecretLeaving(proposed("attacker.example.net"), saved()).orElseThrow().field())
                .isEqualTo("password");
    }

    @Test
    void aSaveWithTheSecretTypedOrTheDestinationUnchangedPasses() {
        Map<String, String> typed = proposedToken("authTokenUrl", "https://login.example.net/token");
        typed.put("authTokenClientSecret", "a-new-secret");
        assertThat(ProposedSettings.maskedSecretLeaving(typed, savedToken())).isEmpty();
        assertThat(ProposedSettings.maskedSecretLeaving(proposedToken("from", "x@example.com"), savedToken())).isEmpty();
        // A new realm, or an import: no saved secret to carry anywhere.
        assertThat(ProposedSettings.maskedSecretLeaving(proposed("smtp.example.com"), Map.of())).isEmpty();
    }

    @Test
    void aTestConnectionCarryingTheSavedSecretElsewhereIsRefusedEvenAfterKeycloakUnmaskedIt() {
        // What Keycloak's testSMTPConnection hands the sender: the saved secret, put back because host, port and user match.
        Map<String, String> unmasked = proposedToken("authTokenUrl", "http://attacker.example.net/token");
        unmasked.put("authTokenClientSecret", "the-stored-client-secret");
        assertThat(ProposedSettings.savedSecretLeaving(unmasked, savedToken()).orElseThrow().field()).isEqualTo("authTokenClientSecret");
        assertThat(ProposedSettings.savedSecretLeaving(savedToken(), savedToken())).isEmpty();
        Map<String, String> otherSecret = new HashMap<>(unmasked);
        otherSecret.put("authTokenClientSecret", "typed-for-the-other-endpoint");
        assertThat(ProposedSettings.savedSecretLeaving(otherSecret, savedToken())).isEmpty();
    }
}
