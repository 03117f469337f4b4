package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.InvalidInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import org.keycloak.representations.idm.ComponentRepresentation;

/**
 * An Email tab that is not the saved one (a form the console proposes, a save, the console's "Test connection"),
 * whose secret comes back masked as {@value #MASKED}. A masked secret stands for the saved one only when it would go to
 * the same place: the same {@link SecretDestination}, every field that decides where and how it travels. Keycloak's
 * own rule compares only authentication type, host, port and user; with it, anyone with manage-realm could keep the
 * host and change the token URL, or the TLS switches, and receive the realm's stored relay secret.
 */
final class ProposedSettings {
    /** Keycloak's own placeholder for a stored secret in what the console gets back, not a mask of ours. */
    static final String MASKED = ComponentRepresentation.SECRET_VALUE;

    private ProposedSettings() {
    }

    /** The proposed map with its masked secret replaced by the saved one, if it goes where the saved one goes. */
    static Map<String, String> withSavedSecrets(Map<String, String> proposed, Map<String, String> saved) {
        Map<String, String> merged = new HashMap<>(proposed);
        Optional<SecretDestination> destination = SecretDestination.of(proposed);
        if (destination.isPresent() && destination.equals(SecretDestination.of(saved))) {
            String key = destination.get().secretKey();
            if (MASKED.equals(merged.get(key))) {
                merged.put(key, saved.get(key));
            }
        }
        return merged;
    }

    /**
     * Refuses a save whose secret is masked while a field that decides where it goes changed: Keycloak would keep the
     * saved secret and send it to the new place with the realm's next mail.
     */
    static Optional<InvalidInputException> maskedSecretLeaving(Map<String, String> settings, Map<String, String> saved) {
        return leaving(settings, saved, (secret, savedSecret) -> MASKED.equals(secret));
    }

    /**
     * Refuses the console's "Test connection" when it carries the saved secret elsewhere: by the time the email sender
     * sees the settings, Keycloak has put the saved secret back in place of the mask on its own, weaker rule.
     */
    static Optional<InvalidInputException> savedSecretLeaving(Map<String, String> settings, Map<String, String> saved) {
        return leaving(settings, saved, (secret, savedSecret) -> MASKED.equals(secret) || savedSecret.equals(secret));
    }

    private static Optional<InvalidInputException> leaving(Map<String, String> settings, Map<String, String> saved,
                                                           BiPredicate<String, String> standsForTheSavedSecret) {
        Optional<SecretDestination> destination = SecretDestination.of(settings);
        if (destination.isEmpty() || saved == null) {
            return Optional.empty();
        }
        String key = destination.get().secretKey();
        String savedSecret = saved.get(key);
        Optional<SecretDestination> savedDestination = SecretDestination.of(saved);
        if (savedSecret == null || savedSecret.isEmpty() || !standsForTheSavedSecret.test(settings.get(key), savedSecret)
                || destination.equals(savedDestination)) {
            return Optional.empty();
        }
        List<String> changed = savedDestination.map(d -> d.changedFields(destination.get())).orElse(List.of("auth"));
        String secret = key.equals("password") ? "password" : "client secret";
        return Optional.of(new InvalidInputException(key, "is the realm's saved " + secret + ", and " + String.join(", ", changed)
                + " changed: it would go where it was not saved for",
                "Type the " + secret + " for these settings (the saved one goes only where it was saved), or change "
                        + String.join(", ", changed) + " back"));
    }
}
