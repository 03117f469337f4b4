package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The rows a deleted realm takes with it; KeycloakClusterIT runs the same statement on a real PostgreSQL. */
class DatabaseQueueStoreTest {

    /** SQL's LIKE with escape character '!', as a regular expression: what the database matches. */
    static boolean like(String value, String pattern) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '!') {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                regex.append(".*");
            } else if (c == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return value.matches("(?s)" + regex);
    }

    @Test
    void deletingRealmABTakesItsOwnBudgetsAndNotThoseOfRealmAHyphenB() {
        String pattern = DatabaseQueueStore.budgetKeyPattern("a_b");
        assertThat(like(DatabaseQueueStore.budgetKey("a_b", "smtp.example.com:587", Duration.ofMinutes(1)), pattern)).isTrue();
        assertThat(like(DatabaseQueueStore.budgetKey("a-b", "smtp.example.com:587", Duration.ofMinutes(1)), pattern)).isFalse();
    }

    @Test
    void percentAndTheEscapeCharacterInARealmIdAreTakenLiterally() {
        String pattern = DatabaseQueueStore.budgetKeyPattern("50%!off");
        assertThat(like(DatabaseQueueStore.budgetKey("50%!off", "r:25", Duration.ofMinutes(1)), pattern)).isTrue();
        assertThat(like(DatabaseQueueStore.budgetKey("50% and more!off", "r:25", Duration.ofMinutes(1)), pattern)).isFalse();
        assertThat(like(DatabaseQueueStore.budgetKey("50%!offer", "r:25", Duration.ofMinutes(1)), pattern))
                .as("a realm whose id only starts with it").isFalse();
    }
}
