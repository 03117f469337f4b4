package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.OutboundMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The action link in a Keycloak mail ({@code .../login-actions/action-token?key=<JWT>}: reset password, verify email,
 * execute actions, update email), as far as the queue needs it: what kind of link it is and when it stops working.
 * The sender SPI hands the provider only subject and bodies; the token's own {@code exp} claim is the one exact
 * statement of the link's lifespan (Keycloak sets it from the realm's action token lifespans when it makes the mail).
 * The payload is decoded, never verified: this is our own queued mail, and the claims only decide whether sending it
 * is still worth it. The token is never logged.
 *
 * @param type      the token's {@code typ} claim, such as {@code reset-credentials} or {@code verify-email}
 * @param expiresAt when the link stops working
 */
record ActionLink(String type, Instant expiresAt) {
    // Keycloak puts the token first in the query: LoginActionsService.actionTokenProcessor(...).queryParam("key", ...).
    private static final Pattern TOKEN = Pattern.compile(
            "/login-actions/action-token\\?key=[A-Za-z0-9_-]{1,4096}\\.([A-Za-z0-9_-]{1,8192})\\.[A-Za-z0-9_-]{0,4096}");

    /** The first action link of the text body, else of the HTML body; empty for a mail without a readable one. */
    static Optional<ActionLink> in(OutboundMessage message) {
        Optional<ActionLink> link = find(message.text());
        return link.isPresent() ? link : find(message.html());
    }

    private static Optional<ActionLink> find(String body) {
        if (body == null) {
            return Optional.empty();
        }
        Matcher m = TOKEN.matcher(body);
        return m.find() ? claims(m.group(1)) : Optional.empty();
    }

    /** Reads {@code typ} and {@code exp} from a JWT's payload; empty when either is missing or unreadable. */
    static Optional<ActionLink> claims(String payload) {
        try {
            Map<String, Object> claims = HostJson.parseObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
            if (claims.get("exp") instanceof Number exp && exp.longValue() > 0 && claims.get("typ") instanceof String type) {
                return Optional.of(new ActionLink(type, Instant.ofEpochSecond(exp.longValue())));
            }
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            // not base64, not JSON, an absurd exp: not a link this queue can judge, so the mail keeps its retry lifetime
        }
        return Optional.empty();
    }

    boolean hasExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
