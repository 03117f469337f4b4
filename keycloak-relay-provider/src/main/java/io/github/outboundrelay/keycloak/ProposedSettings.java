package io.github.outboundrelay.keycloak;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An Email tab the console proposes (unsaved form) whose secrets come back masked as {@value #MASKED}. A masked
 * secret stands for the saved one only when it would go to the same place: same authentication type, host, port and
 * user, the rule of Keycloak's own "Test connection". Otherwise anyone with manage-realm could point the form at a
 * server of theirs and receive the realm's stored relay password.
 */
final class ProposedSettings {
    static final String MASKED = "**********";

    private ProposedSettings() {
    }

    static Map<String, String> withSavedSecrets(Map<String, String> proposed, Map<String, String> saved) {
        Map<String, String> merged = new HashMap<>(proposed);
        Map<String, String> stored = saved == null ? Map.of() : saved;
        if (!sameDestination(proposed, stored)) {
            return merged;
        }
        for (String secret : List.of("password", "authTokenClientSecret")) {
            if (MASKED.equals(merged.get(secret))) {
                merged.put(secret, stored.get(secret));
            }
        }
        return merged;
    }

    private static boolean sameDestination(Map<String, String> a, Map<String, String> b) {
        return "true".equals(a.get("auth")) && "true".equals(b.get("auth"))
                && authType(a).equals(authType(b))
                && Objects.equals(a.getOrDefault("host", ""), b.getOrDefault("host", ""))
                && Objects.equals(a.getOrDefault("port", "25"), b.getOrDefault("port", "25"))
                && Objects.equals(a.getOrDefault("user", ""), b.getOrDefault("user", ""));
    }

    private static String authType(Map<String, String> smtp) {
        String type = smtp.get("authType");
        return type == null || type.isBlank() ? "basic" : type.toLowerCase(java.util.Locale.ROOT);
    }
}
