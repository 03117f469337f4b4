package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two real Keycloak 26.7.3 nodes in production mode on loopback, sharing one real PostgreSQL and clustered with each
 * other (embedded Infinispan, JGroups TCP on 127.0.0.1, discovery through the database), sending through an
 * in-process STARTTLS + AUTH relay. The queue lives in Keycloak's database ({@code queue-store=auto} picks it on
 * PostgreSQL): a node's death loses no mail, a rate limit holds for the cluster, and either node's diagnostics show
 * the cluster's queue. Part of {@code mvn -B verify}; alone with {@code -Pcluster} (docs/keycloak.md, "How it is tested").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakClusterIT {
    static final Duration LEASE = Duration.ofSeconds(15);
    /** How often each node writes its bounce counts (default 30 s): short, so the rates agree within seconds. */
    static final Duration COUNT_FLUSH = Duration.ofSeconds(2);
    static final int PER_MINUTE = 120;
    static final int BURST = 6; // ThrottleBudget.burst(120)
    static final String RELAY_USER = "cluster-relay";
    static final String RELAY_PASSWORD = "relay-" + UUID.randomUUID();

    static SelfSignedCertificate certificate;
    static PostgresServer postgres;
    static KeycloakNode nodeA;
    static KeycloakNode nodeB;
    static AdminApi adminA;
    static AdminApi adminB;
    static final List<AutoCloseable> relays = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        long start = System.nanoTime();
        Path work = Path.of(property("screenshots.dir")).getParent().resolve("keycloak-cluster");
        Files.createDirectories(work);
        certificate = SelfSignedCertificate.forLoopback();
        Path bundle = work.resolve("relay-ca.pem");
        Files.writeString(bundle, certificate.pem());
        postgres = PostgresServer.start();
        Path home = work.resolve("node-a");
        KeycloakNode.build(Path.of(property("keycloak.home")), Path.of(property("provider.jar")), home,
                List.of("--db=postgres", "--health-enabled=true", "--spi-email-sender--provider=relay"));
        List<String> options = List.of("--db-url=" + postgres.jdbcUrl(), "--db-username=" + PostgresServer.USER,
                "--db-password=unused-trust-auth",
                "--spi-email-sender--relay--trust-bundle=" + bundle,
                "--spi-email-sender--relay--rate-limit-per-minute=" + PER_MINUTE,
                "--spi-email-sender--relay--claim-lease-seconds=" + LEASE.toSeconds(),
                "--spi-email-sender--relay--bounce-count-flush-seconds=" + COUNT_FLUSH.toSeconds(),
                // Dead letters lose their body (the reset link) within seconds: the test of mail at rest sees it go.
                "--spi-email-sender--relay--dead-letter-body-retention-hours=0");
        nodeB = KeycloakNode.copyOf(home, "node-b", options);
        nodeA = KeycloakNode.at(home, "node-a", options);
        String adminPassword = "admin-" + UUID.randomUUID();
        nodeA.start(adminPassword); // creates the schema, the queue's tables included
        nodeB.start(adminPassword);
        adminA = new AdminApi(nodeA.baseUri(), "master", KeycloakServer.ADMIN_USER, adminPassword);
        adminB = new AdminApi(nodeB.baseUri(), "master", KeycloakServer.ADMIN_USER, adminPassword);
        Poll.until("both nodes in one cluster view", Duration.ofSeconds(60),
                () -> logOf(nodeB).matches("(?s).*ISPN000094: Received new cluster view.*\\(2\\).*node-a.*node-b.*"));
        assertThat(logOf(nodeA)).contains("Outbound relay: mail queues in Keycloak's database");
        System.out.printf("Cluster up in %d ms (node-a %d ms incl. schema, node-b %d ms)%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis(), nodeA.lastStartup().toMillis(), nodeB.lastStartup().toMillis());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (AutoCloseable c : relays) {
            c.close();
        }
        if (nodeA != null) {
            nodeA.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /**
     * A bounce read on the node that holds the realm's mailbox lease suppresses the address in the database; the other
     * node, which had read the list before, honours it within DatabaseSuppressionList.REFRESH (5 s): its list shows
     * it, and a reset mail asked of it is not sent but dead-lettered. Mail sent from both nodes and the report read on
     * one give the same rates on both, once the counts were flushed (COUNT_FLUSH), and a settings save keeps them.
     * Runs first, while both nodes are up.
     */
    @Test
    @Order(0)
    @SuppressWarnings("unchecked")
    void aSuppressionMadeOnOneNodeHoldsOnTheOther(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.github.outboundrelay.testing.DovecotServer.installed(),
                io.github.outboundrelay.testing.DovecotServer.NOT_INSTALLED);
        EmbeddedRelay relay = relay();
        relay.up();
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (io.github.outboundrelay.testing.DovecotServer dovecot = io.github.outboundrelay.testing.DovecotServer.start(dir, certificate)) {
            String realm = adminA.createRealm("suppress-" + suffix(), emailTab(relay.port()));
            adminA.saveOutboundRelayTab(realm, Map.of("bounceHost", "127.0.0.1",
                    "bouncePort", Integer.toString(dovecot.imapsPort), "bounceUser", "bounces",
                    "bouncePassword", io.github.outboundrelay.testing.DovecotServer.PASSWORD, "bouncePollMinutes", "60"));
            String userId = adminA.createUser(realm, "ghost", "ghost@example.org", "Ghost-pw-1");
            String base = "/admin/realms/" + realm + "/outbound-relay/bounces/";
            // Both nodes read the (empty) list: each has a copy, and each starts polling if it gets the lease.
            for (AdminApi node : List.of(adminA, adminB)) {
                assertThat(AdminApi.expect(200, node.get(base + "suppressions")).json()).containsEntry("suppressions", List.of());
            }
            String report = new String(io.github.outboundrelay.testing.DovecotServer.fixture("postfix-unknown-user.eml"),
                    StandardCharsets.UTF_8).replace("nobody@example.org", "ghost@example.org");
            dovecot.deliver("bounces", "INBOX", report.getBytes(StandardCharsets.UTF_8));

            // Poll now on the node that holds the lease (the other answers 409 naming it).
            AdminApi poller = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (poller == null && System.nanoTime() < deadline) {
                for (AdminApi node : List.of(adminA, adminB)) {
                    AdminApi.Reply reply = node.post(base + "poll", null);
                    if (reply.status() == 200 && ((Number) ((Map<String, Object>) reply.json().get("reports")).get("hard"))
                            .longValue() >= 1) {
                        poller = node;
                        break;
                    }
                    assertThat(reply.status()).as(reply.body()).isIn(200, 409);
                }
                Thread.sleep(200); // Dovecot sees the new Maildir file on its next scan
            }
            assertThat(poller).as("a node read the report").isNotNull();
            long suppressedAt = System.nanoTime();
            AdminApi other = poller == adminA ? adminB : adminA;

            Poll.until("the other node's list shows the address", Duration.ofSeconds(30), () -> ((List<Object>) AdminApi.expect(200,
                    other.get(base + "suppressions?search=ghost")).json().get("suppressions")).size() == 1);
            long seenMillis = Duration.ofNanos(System.nanoTime() - suppressedAt).toMillis();
            System.out.printf("Suppression made on one node seen on the other after %d ms%n", seenMillis);
            assertThat(seenMillis).as("within the 5 s refresh, with slack for a loaded machine").isLessThan(10_000);

            sendResetMails(other, realm, userId, 1);
            Poll.until("the suppressed mail is a dead letter", Duration.ofSeconds(30), () -> Long.valueOf(1).equals(AdminApi.expect(200,
                    other.get("/admin/realms/" + realm + "/outbound-relay/dead-letters")).json().get("total")));
            Map<String, Object> letter = ((List<Map<String, Object>>) AdminApi.expect(200,
                    other.get("/admin/realms/" + realm + "/outbound-relay/dead-letters")).json().get("deadLetters")).get(0);
            assertThat(letter).containsEntry("category", "RECIPIENT_SUPPRESSED");
            assertThat(relay.received()).as("the relay never saw a mail to the suppressed address").isEmpty();

            // Two mails from each node to another user: 4 recipients, 1 hard bounce. Each node counted only its own
            // 2, and only the poller the report: without the shared counts it read 50 % and the other node 0 %.
            String samId = adminA.createUser(realm, "sam", "sam@example.org", "Sam-pw-1");
            sendResetMails(adminA, realm, samId, 2);
            sendResetMails(adminB, realm, samId, 2);
            relay.awaitMessages(4, Duration.ofSeconds(60));
            long sentAt = System.nanoTime();
            Poll.until("both nodes show 1 hard bounce of 4 recipients", Duration.ofSeconds(60), () -> {
                for (AdminApi node : List.of(adminA, adminB)) {
                    Map<String, Object> day = lastDay(node, base);
                    if (!Long.valueOf(4).equals(day.get("sentRecipients")) || !Long.valueOf(1).equals(day.get("hardBounces"))) {
                        return false;
                    }
                }
                return true;
            });
            System.out.printf("Rates agreed on both nodes %d ms after the last mail arrived (flush every %d s)%n",
                    Duration.ofNanos(System.nanoTime() - sentAt).toMillis(), COUNT_FLUSH.toSeconds());
            for (AdminApi node : List.of(adminA, adminB)) {
                Map<String, Object> rates = (Map<String, Object>) AdminApi.expect(200, node.get(base.substring(0, base.length() - 1)))
                        .json().get("rates");
                assertThat(((Map<String, Object>) rates.get("last24Hours")).get("hardBounceRate")).isEqualTo(0.25);
                assertThat(((Map<String, Object>) rates.get("last7Days")).get("hardBounceRate")).isEqualTo(0.25);
            }
            Long stored = query("select sum(sent) from outbound_relay_bounce_count where realm_id = (select id from realm"
                    + " where name = ?)", realm, null, rs -> {
                rs.next();
                return rs.getLong(1);
            });
            assertThat(stored).as("the database holds both nodes' counts").isEqualTo(4);

            // A settings save rebuilds the realm's queue on the node: the rates are read back, not zeroed.
            adminA.saveOutboundRelayTab(realm, Map.of("bounceHost", "127.0.0.1",
                    "bouncePort", Integer.toString(dovecot.imapsPort), "bounceUser", "bounces",
                    "bouncePassword", io.github.outboundrelay.testing.DovecotServer.PASSWORD, "bouncePollMinutes", "59"));
            Map<String, Object> afterSave = AdminApi.expect(200, adminA.get(base.substring(0, base.length() - 1))).json();
            assertThat((Map<String, Object>) afterSave.get("settings")).as("the new settings are in force")
                    .containsEntry("pollMinutes", 59L);
            assertThat(((Map<String, Object>) ((Map<String, Object>) afterSave.get("rates")).get("last24Hours")))
                    .containsEntry("sentRecipients", 4L).containsEntry("hardBounces", 1L);

            String realmId = (String) AdminApi.expect(200, adminA.get("/admin/realms/" + realm)).json().get("id");
            AdminApi.expect(204, adminA.delete("/admin/realms/" + realm));
            Long left = query("select count(*) from outbound_relay_suppression where realm_id = ?", realmId, null, rs -> {
                rs.next();
                return rs.getLong(1);
            });
            assertThat(left).as("the list goes with the realm").isZero();
            Long counts = query("select count(*) from outbound_relay_bounce_count where realm_id = ?", realmId, null, rs -> {
                rs.next();
                return rs.getLong(1);
            });
            assertThat(counts).as("the rates' counts go with the realm").isZero();
        }
    }

    @Test
    @Order(1)
    void aLimitOfNPerMinuteHoldsForTheClusterWithBothNodesSending() throws Exception {
        EmbeddedRelay relay = relay();
        relay.up();
        String realm = adminA.createRealm("rate-" + suffix(), emailTab(relay.port()));
        String userId = adminA.createUser(realm, "rita", "rita@example.org", "Rita-pw-1");
        int perNode = 75;

        ExecutorService senders = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> both = List.of(
                    senders.submit(() -> sendResetMails(adminA, realm, userId, perNode)),
                    senders.submit(() -> sendResetMails(adminB, realm, userId, perNode)));
            for (Future<?> f : both) {
                f.get();
            }
        } finally {
            senders.shutdown();
        }
        List<EmbeddedRelay.ReceivedMail> arrivals = relay.awaitMessages(2 * perNode, Duration.ofMinutes(3));

        long first = arrivals.get(0).arrivedNanos();
        long inFirstMinute = arrivals.stream().filter(a -> a.arrivedNanos() - first < Duration.ofMinutes(1).toNanos()).count();
        long steadySpan = arrivals.get(arrivals.size() - 1).arrivedNanos() - arrivals.get(BURST).arrivedNanos();
        double steadyPerMinute = (arrivals.size() - 1 - BURST) * 60e9 / steadySpan;
        long sentByA = sent(adminA, realm);
        long sentByB = sent(adminB, realm);
        System.out.printf("Cluster-wide limit %d/min: %d mails in the first minute (burst %d included), steady rate "
                        + "%.1f/min, node-a sent %d, node-b sent %d%n", PER_MINUTE, inFirstMinute, BURST, steadyPerMinute,
                sentByA, sentByB);

        assertThat(arrivals.stream().map(EmbeddedRelay.ReceivedMail::messageId).distinct().count()).isEqualTo(2L * perNode);
        assertThat(inFirstMinute).isBetween((long) (PER_MINUTE * 0.9), (long) (PER_MINUTE * 1.1));
        assertThat(steadyPerMinute).isBetween(PER_MINUTE * 0.9, PER_MINUTE * 1.1);
        // Both nodes sent (each alone would have been allowed 120/min: twice the rate measured).
        assertThat(sentByA).isPositive();
        assertThat(sentByB).isPositive();
        assertThat(sentByA + sentByB).isEqualTo(2L * perNode);
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void mailQueuedOnANodeThatIsKilledIsDeliveredByTheOtherOnceItsLeaseRunsOut() throws Exception {
        EmbeddedRelay relay = relay(); // down: nothing listens on its port
        Map<String, String> smtp = emailTab(relay.port());
        smtp.put("timeout", "120000"); // a held mail waits for its "250" past the lease
        String realm = adminA.createRealm("failover-" + suffix(), smtp);
        String realmId = (String) AdminApi.expect(200, adminA.get("/admin/realms/" + realm)).json().get("id");
        String fred = adminA.createUser(realm, "fred", "fred@example.org", "Fred-pw-1");
        String bounce = adminA.createUser(realm, "bounce", "bounce@example.org", "Bounce-pw-1");
        int mails = 6;
        sendResetMails(adminA, realm, fred, mails);
        sendResetMails(adminA, realm, bounce, 1);

        // Node B's diagnostics show what node A queued.
        String diagnostics = "/admin/realms/" + realm + "/outbound-relay/";
        Poll.until("node-b's metrics show the 7 mails node-a queued", Duration.ofSeconds(30),
                () -> Long.valueOf(mails + 1).equals(AdminApi.expect(200, adminB.get(diagnostics + "metrics")).json().get("queueDepth")));
        assertThat((String) AdminApi.expect(200, adminB.get(diagnostics + "status")).json().get("queueStore"))
                .startsWith("Keycloak's database");
        Set<String> queued = column(realmId, "message_id", "state = 'QUEUED'");
        assertThat(queued).hasSize(mails + 1);

        // The relay takes mail but holds its answers: each node's sender is mid-transaction when node A dies.
        relay.holding();
        long pidA = jvmPid(nodeA);
        Poll.until("node-a holds a claim on a mail the relay has taken", Duration.ofSeconds(90), () -> {
            Map<String, String> leased = leases(realmId);
            return leased.values().stream().anyMatch(owner -> owner.contains("/" + pidA + "/")) && relay.held() >= leased.size();
        });
        Map<String, String> leasedAtKill = leases(realmId);
        Set<String> heldByA = leasedAtKill.entrySet().stream().filter(e -> e.getValue().contains("/" + pidA + "/"))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        long leaseEndMillis = max(realmId, "lease_until", "lease_owner like '%/" + pidA + "/%'");
        long killedAtMillis = System.currentTimeMillis();
        long killedAt = System.nanoTime();
        nodeA.kill();
        relay.up();

        Poll.until("node-b delivered or dead-lettered every mail", LEASE.plusSeconds(90),
                () -> column(realmId, "message_id", "state = 'QUEUED'").isEmpty());
        List<EmbeddedRelay.ReceivedMail> arrivals = relay.received();
        Map<String, Long> copies = arrivals.stream().collect(Collectors.groupingBy(EmbeddedRelay.ReceivedMail::messageId,
                LinkedHashMap::new, Collectors.counting()));
        Map<String, Object> deadLetters = AdminApi.expect(200, adminB.get(diagnostics + "dead-letters")).json();
        List<Map<String, Object>> letters = (List<Map<String, Object>>) deadLetters.get("deadLetters");
        long lastTakeOver = arrivals.stream().filter(a -> heldByA.contains(a.messageId()))
                .mapToLong(EmbeddedRelay.ReceivedMail::arrivedNanos).max().orElseThrow();
        Duration failover = Duration.ofNanos(lastTakeOver - killedAt);
        System.out.printf("Failover: node-a killed holding %d mail(s) (lease ran out %d ms after the kill); node-b "
                        + "delivered them %d ms after the kill; %d mails taken by the relay for %d distinct; dead letters on "
                        + "node-b: %d%n", heldByA.size(), leaseEndMillis - killedAtMillis, failover.toMillis(), arrivals.size(),
                copies.size(), letters.size());

        // Every mail but the bounce arrived; the bounce is the cluster's dead letter, listed by node B.
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0)).containsEntry("category", "RECIPIENT_REJECTED").containsEntry("reason", "REJECTED");
        Set<String> expected = new TreeSet<>(queued);
        expected.remove((String) letters.get(0).get("messageId"));
        assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        // A copy only of what the relay had taken from node A before it died; never more than one.
        copies.forEach((id, n) -> {
            if (n > 1) {
                assertThat(heldByA).as("mail sent twice").contains(id);
                assertThat(n).isEqualTo(2L);
            }
        });
        // Node A's mail went out again only after its lease ran out, and promptly after.
        assertThat(failover.toMillis()).isGreaterThanOrEqualTo(leaseEndMillis - killedAtMillis - 500)
                .isLessThan(LEASE.plusSeconds(30).toMillis());
        Map<String, Object> metricsB = AdminApi.expect(200, adminB.get(diagnostics + "metrics")).json();
        assertThat(metricsB).containsEntry("queueDepth", 0L).containsEntry("deadLetters", 1L);
    }

    @Test
    @Order(3)
    void deletingRealmABLeavesTheRateBudgetOfRealmAHyphenBAlone() throws Exception {
        EmbeddedRelay relay = relay();
        relay.up();
        String suffix = suffix();
        // In SQL's LIKE, "_" matches any one character: "a_b..." also matches "a-b...".
        String underscore = "a_b-" + suffix;
        String hyphen = "a-b-" + suffix;
        for (String id : List.of(underscore, hyphen)) {
            AdminApi.expect(201, adminB.post("/admin/realms", Map.of("id", id, "realm", id, "enabled", true,
                    "smtpServer", emailTab(relay.port()))));
            sendResetMails(adminB, id, adminB.createUser(id, "uma", "uma@example.org", "Uma-pw-1"), 1);
        }
        relay.awaitMessages(2, Duration.ofSeconds(60));
        Poll.until("both realms have a rate budget row", Duration.ofSeconds(30),
                () -> !budgetKeys(underscore).isEmpty() && !budgetKeys(hyphen).isEmpty());

        AdminApi.expect(204, adminB.delete("/admin/realms/" + underscore));

        assertThat(budgetKeys(underscore)).as("the deleted realm's budgets").isEmpty();
        assertThat(budgetKeys(hyphen)).as("the other realm's budgets").isNotEmpty();
        AdminApi.expect(204, adminB.delete("/admin/realms/" + hyphen));
    }

    /** The realm's rows of OUTBOUND_RELAY_THROTTLE, matched in Java: keys are "<realm id> <period>s <relay>". */
    private static Set<String> budgetKeys(String realmId) {
        try (Connection c = postgres.connect(); PreparedStatement s = c.prepareStatement("select budget_key from outbound_relay_throttle");
             ResultSet rs = s.executeQuery()) {
            Set<String> keys = new TreeSet<>();
            while (rs.next()) {
                if (rs.getString(1).startsWith(realmId + " ")) {
                    keys.add(rs.getString(1));
                }
            }
            return keys;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(4)
    @SuppressWarnings("unchecked")
    void theDatabaseHoldsNoReadableLinkAndADeadLetterLosesItsBodyAfterTheRetention() throws Exception {
        // Node B: node A was killed by the test before.
        EmbeddedRelay relay = relay(); // down: the mail waits in the table
        String realm = adminB.createRealm("at-rest-" + suffix(), emailTab(relay.port()));
        String realmId = (String) AdminApi.expect(200, adminB.get("/admin/realms/" + realm)).json().get("id");
        String wanda = adminB.createUser(realm, "wanda", "wanda@example.org", "Wanda-pw-1");
        String bounce = adminB.createUser(realm, "bounce", "bounce@example.org", "Bounce-pw-1");
        Instant submitted = Instant.now().minusSeconds(1); // the Date header has whole seconds
        sendResetMails(adminB, realm, wanda, 1);
        Instant queuedBy = Instant.now();
        Poll.until("the mail is queued in the table, with the rendering made at submit", Duration.ofSeconds(30),
                () -> column(realmId, "message_id", "state = 'QUEUED' and rendered is not null").size() == 1);

        // What someone who can read the database (or a dump of it) finds: every table, every row, and the queue's
        // MESSAGE and RENDERED columns Base64-decoded too.
        String linkPath = "/realms/" + realm + "/login-actions/action-token?key=";
        assertThat(databaseRowsContaining(linkPath)).isEmpty();

        // A retry (the relay refuses connections) sends the bytes rendered at submit: its Date is the submit time.
        Poll.until("a retry failed too", Duration.ofSeconds(60),
                () -> column(realmId, "attempts", "state = 'QUEUED' and attempts >= 2").size() == 1);
        relay.up();
        List<EmbeddedRelay.ReceivedMail> arrivals = relay.awaitMessages(1, Duration.ofSeconds(60));
        String content = arrivals.get(0).content();
        String date = content.lines().filter(l -> l.startsWith("Date: ")).findFirst().orElseThrow().substring(6);
        assertThat(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant())
                .as("the Date rendered at submit, not at the send after two failed attempts").isBetween(submitted, queuedBy);
        String link = ReceivedMessage.parse("", List.of(), content.getBytes(StandardCharsets.UTF_8)).actionLink();
        assertThat(link).as("the link that was queued").contains(linkPath);
        Poll.until("the delivered row is gone", Duration.ofSeconds(30),
                () -> column(realmId, "message_id", "state = 'QUEUED'").isEmpty());
        assertThat(databaseRowsContaining(link.substring(link.indexOf("key=")))).isEmpty();

        // A refused mail: a dead letter, whose body goes after the retention (0 h here); its record stays.
        sendResetMails(adminB, realm, bounce, 1);
        String diagnostics = "/admin/realms/" + realm + "/outbound-relay/";
        Poll.until("a dead letter whose body was deleted, its rendering with it", Duration.ofSeconds(60),
                () -> column(realmId, "id", "state = 'DEAD' and message is null and rendered is null").size() == 1);
        assertThat(column(realmId, "id", "rendered is not null")).as("renderings left in the realm's rows").isEmpty();
        Map<String, Object> letter = ((List<Map<String, Object>>) AdminApi.expect(200, adminB.get(diagnostics + "dead-letters"))
                .json().get("deadLetters")).get(0);
        assertThat(letter).containsEntry("category", "RECIPIENT_REJECTED").containsEntry("reason", "REJECTED")
                .containsEntry("subject", "Update Your Account");
        assertThat((String) letter.get("remedy")).isNotBlank();
        AdminApi.Reply retry = adminB.post(diagnostics + "dead-letters/" + letter.get("id") + "/retry", null);
        assertThat(retry.status()).isEqualTo(400);
        assertThat(retry.json()).containsEntry("field", "deadLetterId");
        assertThat((String) retry.json().get("error")).contains("cannot be sent again: its body was deleted after the retention");
        assertThat(databaseRowsContaining(linkPath)).isEmpty();
    }

    /** "table: row" for every row of every table of Keycloak's database whose text holds {@code text}. */
    private static List<String> databaseRowsContaining(String text) {
        List<String> hits = new ArrayList<>();
        try (Connection c = postgres.connect()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.createStatement().executeQuery(
                    "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).contains("outbound_relay_mail");
            for (String table : tables) {
                try (ResultSet rs = c.createStatement().executeQuery("select t::text from \"" + table + "\" t")) {
                    while (rs.next()) {
                        if (rs.getString(1).contains(text)) {
                            hits.add(table + ": " + rs.getString(1));
                        }
                    }
                }
            }
            for (String column : List.of("message", "rendered")) {
                try (ResultSet rs = c.createStatement().executeQuery("select id, " + column + " from outbound_relay_mail where "
                        + column + " is not null")) {
                    while (rs.next()) {
                        String decoded = new String(java.util.Base64.getDecoder().decode(rs.getString(2)), StandardCharsets.ISO_8859_1);
                        if (decoded.contains(text)) {
                            hits.add("outbound_relay_mail, " + column.toUpperCase(Locale.ROOT) + " decoded: row " + rs.getString(1));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return hits;
    }

    private static EmbeddedRelay relay() throws Exception {
        // Refuses local parts starting with "bounce" with a permanent 550: the dead-letter cases.
        EmbeddedRelay relay = EmbeddedRelay.builder(certificate.serverContext(), RELAY_USER, RELAY_PASSWORD)
                .refuseRecipients(recipient -> recipient.toLowerCase(Locale.ROOT).startsWith("bounce")).down();
        relays.add(relay);
        return relay;
    }

    private static Map<String, String> emailTab(int port) {
        Map<String, String> smtp = EmailTabs.startTlsWithPassword("127.0.0.1", port, RELAY_USER, RELAY_PASSWORD);
        smtp.put("connectionTimeout", "5000");
        smtp.put("timeout", "10000");
        smtp.put("writeTimeout", "10000");
        return smtp;
    }

    /** Asks Keycloak to mail the user an "update your password" link, {@code count} times, through this node. */
    private static Void sendResetMails(AdminApi admin, String realm, String userId, int count) {
        for (int i = 0; i < count; i++) {
            AdminApi.expect(204, admin.put("/admin/realms/" + realm + "/users/" + userId + "/execute-actions-email",
                    List.of("UPDATE_PASSWORD")));
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastDay(AdminApi admin, String bouncesBase) {
        Map<String, Object> rates = (Map<String, Object>) AdminApi.expect(200,
                admin.get(bouncesBase.substring(0, bouncesBase.length() - 1))).json().get("rates");
        return (Map<String, Object>) rates.get("last24Hours");
    }

    private static long sent(AdminApi admin, String realm) {
        return (Long) AdminApi.expect(200, admin.get("/admin/realms/" + realm + "/outbound-relay/metrics")).json().get("sent");
    }

    /** The JVM's PID among kc.sh and its children: the one that names itself in LEASE_OWNER. */
    private static long jvmPid(KeycloakNode node) {
        return node.pids().stream().filter(pid -> ProcessHandle.of(pid).flatMap(p -> p.info().command())
                .map(c -> c.endsWith("/java")).orElse(false)).findFirst().orElseThrow();
    }

    /** Message-ID to lease owner of the realm's mail under a live lease. */
    private static Map<String, String> leases(String realmId) {
        return query("select message_id, lease_owner from outbound_relay_mail where queue_key = ? and state = 'QUEUED'"
                + " and lease_until > ?", realmId, System.currentTimeMillis(), rs -> {
                    Map<String, String> map = new LinkedHashMap<>();
                    while (rs.next()) {
                        map.put(rs.getString(1), rs.getString(2));
                    }
                    return map;
                });
    }

    private static Set<String> column(String realmId, String column, String where) {
        return query("select " + column + " from outbound_relay_mail where queue_key = ? and " + where, realmId, null, rs -> {
            Set<String> values = new TreeSet<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        });
    }

    private static long max(String realmId, String column, String where) {
        return query("select max(" + column + ") from outbound_relay_mail where queue_key = ? and " + where, realmId, null,
                rs -> rs.next() ? rs.getLong(1) : 0L);
    }

    private interface Rows<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private static <T> T query(String sql, String realmId, Long now, Rows<T> rows) {
        try (Connection c = postgres.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, realmId);
            if (now != null) {
                s.setLong(2, now);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rows.read(rs);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String logOf(KeycloakNode node) {
        try {
            return node.log();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("System property " + name + " is not set: run through Maven (mvn verify)");
        }
        return value;
    }
}
