package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.OutboundMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * Mails as Keycloak's templates make them: an action link {@code .../login-actions/action-token?key=<JWS>&client_id=...}
 * in the text body and, HTML-escaped, in the HTML body. The token is shaped as Keycloak's DefaultActionToken
 * serializes (header, payload with exp/iat/typ/sub, signature); the signature is not a real one, as the provider
 * never verifies it.
 */
final class ActionLinksForTests {
    private ActionLinksForTests() {
    }

    static String token(String type, Instant expires) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"exp\":" + expires.getEpochSecond() + ",\"iat\":" + (expires.getEpochSecond() - 300)
                + ",\"jti\":\"" + UUID.randomUUID() + "\",\"iss\":\"http://127.0.0.1:8080/realms/acme\",\"aud\":\"http://127.0.0.1:8080/realms/acme\","
                + "\"sub\":\"" + UUID.randomUUID() + "\",\"typ\":\"" + type + "\",\"nonce\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + "." + b64.encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
    }

    static String link(String type, Instant expires) {
        return "http://127.0.0.1:8080/realms/acme/login-actions/action-token?key=" + token(type, expires)
                + "&client_id=account-console&tab_id=Xq1&client_data=eyJ9";
    }

    static OutboundMessage mail(String to, String subject, String type, Instant expires) {
        String link = link(type, expires);
        return OutboundMessage.builder().from("sso@example.com").to(to).subject(subject)
                .text("Someone just requested to change your account's credentials.\n\n" + link + "\n\nThis link will expire within 5 minutes.\n")
                .html("<p>Someone just requested to change your account's credentials.</p><p><a href=\"" + link.replace("&", "&amp;")
                        + "\">Link to reset credentials</a></p>")
                .build();
    }
}
