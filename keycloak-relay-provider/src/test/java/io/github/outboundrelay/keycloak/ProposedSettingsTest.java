package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
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
}
