package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What stops a Keycloak realm's relay account being used against its users or its reputation, on the real
 * distribution through its real login pages: a flood of unauthenticated "forgot password" requests for one address
 * does not hold back other users' mail, a reset link that expired while the relay was down is not mailed, and mail to
 * a domain the realm does not allow is refused before it is queued.
 */
@ExtendWith(RealKeycloak.class)
class AbuseLimitsIT {
    static final int FLOOD = 500;

    @Test
    @SuppressWarnings("unchecked")
    void aForgotPasswordFloodForOneAddressDoesNotHoldBackOtherUsersMail(RealKeycloak.Suite suite) throws Exception {
        try (EmbeddedRelay relay = EmbeddedRelay.start(suite.certificate.serverContext(), suite.relayUser, suite.relayPassword)) {
            // The server's default rate limit, 60 a minute: without coalescing the flood takes over 8 minutes to send.
            String realm = suite.admin.createRealm("flood-" + System.nanoTime(), suite.emailTab(relay.port()));
            AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
            suite.admin.createUser(realm, "victim", "victim@example.org", "Victim-pw-1");
            suite.admin.createUser(realm, "olga", "olga@example.org", "Olga-pw-1");

            ExecutorService attackers = Executors.newFixedThreadPool(4);
            AtomicInteger answered = new AtomicInteger();
            long floodStart = System.nanoTime();
            List<Future<Integer>> requests = new java.util.ArrayList<>();
            for (int i = 0; i < FLOOD; i++) {
                requests.add(attackers.submit(() -> {
                    int status = LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "victim").status();
                    answered.incrementAndGet();
                    return status;
                }));
            }
            Poll.until("half the flood answered", Duration.ofMinutes(3), () -> answered.get() >= FLOOD / 2);

            // In the middle of the flood, another user forgets her password.
            long asked = System.nanoTime();
            assertThat(LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "olga").status()).isEqualTo(200);
            Poll.until("Olga's reset mail arrives", Duration.ofSeconds(60), () -> mailsTo(relay, "olga@example.org") == 1);
            Duration olgaWaited = Duration.ofNanos(System.nanoTime() - asked);

            attackers.shutdown();
            assertThat(attackers.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
            Duration flood = Duration.ofNanos(System.nanoTime() - floodStart);
            for (Future<Integer> request : requests) {
                assertThat(request.get()).isEqualTo(200);
            }
            String metricsPath = "/admin/realms/" + realm + "/outbound-relay/metrics";
            Poll.until("the queue drained", Duration.ofSeconds(60), () ->
                    Long.valueOf(0).equals(AdminApi.expect(200, suite.admin.get(metricsPath)).json().get("queueDepth")));
            Map<String, Object> metrics = AdminApi.expect(200, suite.admin.get(metricsPath)).json();
            long victimMails = mailsTo(relay, "victim@example.org");

            assertThat(olgaWaited).as("another user's mail during the flood").isLessThan(Duration.ofSeconds(15));
            // At most the throttle's burst and one a second while the flood lasted: never the backlog of 500.
            assertThat(victimMails).isBetween(1L, 3 + flood.toSeconds() + 2);
            assertThat(metrics).containsEntry("submitted", (long) FLOOD + 1).containsEntry("deadLetters", 0L);
            List<Map<String, Object>> events = (List<Map<String, Object>>) AdminApi.expect(200,
                    suite.admin.get("/admin/realms/" + realm + "/outbound-relay/events")).json().get("events");
            assertThat(events).anySatisfy(e -> assertThat(e).containsEntry("outcome", "SUPERSEDED")
                    .containsEntry("recipients", List.of("v***@example.org")));
            System.out.printf("Forgot-password flood: %d requests in %d ms; the victim got %d mail(s), the others were "
                    + "superseded; another user's reset mail asked for mid-flood arrived after %d ms%n",
                    FLOOD, flood.toMillis(), victimMails, olgaWaited.toMillis());

            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aResetLinkThatExpiredWhileTheRelayWasDownIsADeadLetterExpiredAndIsNotSent(RealKeycloak.Suite suite) throws Exception {
        int port = freePort(); // the relay is down
        String realm = suite.admin.createRealm("expiry-" + System.nanoTime(), suite.emailTab(port));
        int lifespanSeconds = 15;
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm,
                Map.of("resetPasswordAllowed", true, "actionTokenGeneratedByUserLifespan", lifespanSeconds)));
        suite.admin.createUser(realm, "erin", "erin@example.org", "Erin-pw-1");
        long requested = System.nanoTime();
        assertThat(LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "erin").status()).isEqualTo(200);
        String base = "/admin/realms/" + realm + "/outbound-relay/";
        Poll.until("the first attempt failed", Duration.ofSeconds(20), () ->
                ((Long) AdminApi.expect(200, suite.admin.get(base + "metrics")).json().get("failed")) >= 1);
        Poll.until("the link's lifespan passed", Duration.ofSeconds(lifespanSeconds + 5), () ->
                System.nanoTime() - requested > Duration.ofSeconds(lifespanSeconds + 1).toNanos());

        try (EmbeddedRelay back = EmbeddedRelay.builder(suite.certificate.serverContext(), suite.relayUser,
                suite.relayPassword).port(port).start()) {
            // The relay's next trial (its cool-down doubles from 10 s) finds the link dead and sends nothing.
            Poll.until("a dead letter", Duration.ofSeconds(90), () ->
                    Long.valueOf(1).equals(AdminApi.expect(200, suite.admin.get(base + "dead-letters")).json().get("total")));
            Map<String, Object> letter = ((List<Map<String, Object>>) AdminApi.expect(200, suite.admin.get(base + "dead-letters"))
                    .json().get("deadLetters")).get(0);
            assertThat(letter).containsEntry("category", "EXPIRED").containsEntry("reason", "EXPIRED")
                    .containsEntry("subject", "Reset password").containsEntry("recipients", List.of("e***@example.org"));
            assertThat((String) letter.get("remedy")).startsWith("its reset-credentials link expired at ")
                    .contains("the user asks for a new one");
            assertThat(letter.toString()).doesNotContain("action-token").doesNotContain("key=");
            assertThat(AdminApi.expect(200, suite.admin.get(base + "metrics")).json()).containsEntry("queueDepth", 0L);
            assertThat(back.received()).as("the dead link never reached the relay").isEmpty();
            AdminApi.expect(204, suite.admin.delete("/admin/realms/" + realm)); // before the relay stops
        }
    }

    @Test
    void mailToADomainTheRealmDoesNotAllowIsRefusedWithALogLineAndNotQueued(RealKeycloak.Suite suite) throws Exception {
        String realm = suite.newRealm("domains");
        AdminApi.expect(204, suite.admin.put("/admin/realms/" + realm, Map.of("resetPasswordAllowed", true)));
        suite.admin.saveOutboundRelayTab(realm, Map.of("allowedRecipientDomains", "example.com"));
        suite.admin.createUser(realm, "ext", "abuse-ext@example.org", "Ext-pw-1");
        suite.admin.createUser(realm, "int", "abuse-int@example.com", "Int-pw-1");
        String metricsPath = "/admin/realms/" + realm + "/outbound-relay/metrics";

        LoginPages.Answer refused = LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "ext");
        // Keycloak 26.7 answers a failed reset mail as a sent one, so the page tells no one which addresses exist.
        assertThat(refused.status()).isEqualTo(200);
        Poll.until("the log line", Duration.ofSeconds(10), () -> log(suite).contains("Realm " + realm
                + ": mail not sent and not queued: to: 'a***@example.org' is outside the allowed domains (example.com)"));
        assertThat(log(suite)).as("the address masked, as every recipient in the log").doesNotContain("abuse-ext@example.org");

        assertThat(LoginPages.forgotPassword(suite.keycloak.baseUri(), realm, "int").status()).isEqualTo(200);
        Poll.until("the allowed address gets its mail", Duration.ofSeconds(30),
                () -> mailsTo(suite.relay, "abuse-int@example.com") == 1);
        assertThat(AdminApi.expect(200, suite.admin.get(metricsPath)).json()).as("the refused mail was never queued")
                .containsEntry("submitted", 1L);
        assertThat(mailsTo(suite.relay, "abuse-ext@example.org")).isZero();
    }

    private static String log(RealKeycloak.Suite suite) {
        try {
            return suite.keycloak.log();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long mailsTo(EmbeddedRelay relay, String address) {
        return relay.received().stream().filter(m -> m.recipients().contains(address)).count();
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket reserve = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return reserve.getLocalPort();
        }
    }
}
