package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The rate limit saved in the realm's Outbound relay tab is the queue's throttle: mail beyond it waits in the spool
 * (visible in the metrics) instead of reaching the relay, and raising the limit releases it, nothing lost and nothing
 * sent twice. Proven without waiting a minute: 5 a minute is one mail every 12 s after a burst of one.
 */
@ExtendWith(RealKeycloak.class)
class RateLimitIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>]+>)");

    @Test
    @SuppressWarnings("unchecked")
    void theTabsRateLimitHoldsMailInTheQueueAndRaisingItReleasesIt(RealKeycloak.Suite suite) throws Exception {
        // A relay of its own, so that only this realm's mail is counted.
        try (EmbeddedRelay relay = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            String realm = suite.admin.createRealm("rate-" + System.nanoTime(), suite.emailTab(relay.port()));
            suite.admin.saveOutboundRelayTab(realm, Map.of("rateLimitPerMinute", "5"));
            String userId = suite.admin.createUser(realm, "ivy", "ivy@example.org", "Ivy-pw-1");
            String send = "/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email";
            String metricsPath = "/admin/realms/" + realm + "/outbound-relay/metrics";

            for (int i = 0; i < 8; i++) {
                AdminApi.expect(204, suite.admin.put(send, List.of("UPDATE_PASSWORD")));
            }
            relay.awaitMessages(1, Duration.ofSeconds(30));
            long firstArrived = System.nanoTime();
            Map<String, Object> held = AdminApi.expect(200, suite.admin.get(metricsPath)).json();

            assertThat(held).containsEntry("submitted", 8L);
            // Unthrottled, all 8 reach a local relay within a second; throttled, at most one more per 12 s.
            assertThat((Long) held.get("queueDepth")).as("mail held back in the spool").isGreaterThanOrEqualTo(5L);
            Map<String, Object> lane = ((List<Map<String, Object>>) held.get("relays")).get(0);
            assertThat(lane).containsEntry("messagesPerMinute", 5L).containsEntry("status", "HEALTHY");

            // The next token comes 12 s after the first: the relay sees the rate, not just the metrics.
            relay.awaitMessages(2, Duration.ofSeconds(40));
            Duration gap = Duration.ofNanos(System.nanoTime() - firstArrived);
            // 12 s after the first was dispatched, less the first's connection, TLS and AUTH on a loaded machine.
            assertThat(gap).as("the second mail waited for the throttle").isGreaterThan(Duration.ofSeconds(6));

            // Raising the limit (0: none) rebuilds the realm's queue with its next mail; the new queue opens the same
            // spool and sends what the old one held.
            suite.admin.saveOutboundRelayTab(realm, Map.of("rateLimitPerMinute", "0"));
            AdminApi.expect(204, suite.admin.put(send, List.of("UPDATE_PASSWORD")));
            List<String> all = relay.awaitMessages(9, Duration.ofSeconds(30)).stream().map(EmbeddedRelay.ReceivedMail::content).toList();

            Set<String> ids = new HashSet<>();
            for (String mail : all) {
                Matcher m = MESSAGE_ID.matcher(mail);
                assertThat(m.find()).as("a Message-ID in %s", mail.lines().limit(20).toList()).isTrue();
                ids.add(m.group(1));
            }
            assertThat(ids).as("9 different mails, none twice").hasSize(9);
            Map<String, Object> after = AdminApi.expect(200, suite.admin.get(metricsPath)).json();
            assertThat(after).containsEntry("queueDepth", 0L);
            assertThat(((List<Map<String, Object>>) after.get("relays")).get(0)).containsEntry("messagesPerMinute", 0L);
            System.out.printf("Rate limit 5/min: %d of 8 mails held after the first arrived; the second came %d ms after "
                    + "the first%n", held.get("queueDepth"), gap.toMillis());

            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }
}
