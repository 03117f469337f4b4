package io.github.outboundrelay.keycloak.it;

import java.util.HashMap;
import java.util.Map;

/** Realm Email tab settings for the ITs' relays: the one place their keys are spelled. */
final class EmailTabs {
    private EmailTabs() {
    }

    /** STARTTLS and password AUTH against a relay at {@code host:port}, From sso@example.com; callers add the rest. */
    static Map<String, String> startTlsWithPassword(String host, int port, String user, String password) {
        Map<String, String> smtp = new HashMap<>();
        smtp.put("host", host);
        smtp.put("port", Integer.toString(port));
        smtp.put("starttls", "true");
        smtp.put("ssl", "false");
        smtp.put("auth", "true");
        smtp.put("authType", "basic");
        smtp.put("user", user);
        smtp.put("password", password);
        smtp.put("from", "sso@example.com");
        return smtp;
    }
}
