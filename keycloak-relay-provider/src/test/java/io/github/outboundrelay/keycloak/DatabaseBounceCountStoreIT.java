package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceCountStore.HourlyCounts;
import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.keycloak.it.PostgresServer;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceConfiguration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A realm's rate counts in {@code OUTBOUND_RELAY_BOUNCE_COUNT} on real databases, through the Hibernate ORM Keycloak
 * ships but without a Keycloak, as {@link DatabaseSpoolIT} runs the spool: Debian's PostgreSQL 15 and H2 in memory
 * (Keycloak's dev database). Two store instances on one database stand for two nodes.
 */
class DatabaseBounceCountStoreIT {
    static final Instant T0 = Instant.parse("2026-12-03T10:15:00Z");
    static final long HOUR0 = T0.toEpochMilli() / 3_600_000L;

    static PostgresServer postgres;
    static EntityManagerFactory onPostgres;
    static EntityManagerFactory onH2;
    static String h2Url;

    @BeforeAll
    static void startDatabases() throws Exception {
        postgres = PostgresServer.start();
        try (Connection c = postgres.connect()) {
            createTables(c);
        }
        onPostgres = jpa(postgres.jdbcUrl(), PostgresServer.USER);
        h2Url = "jdbc:h2:mem:bounce-count-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (Connection c = DriverManager.getConnection(h2Url, "sa", "")) {
            createTables(c);
        }
        onH2 = jpa(h2Url, "sa");
    }

    @AfterAll
    static void stopDatabases() {
        DatabaseSpoolIT.closeAll(onPostgres, onH2, postgres);
    }

    /** The table of changeSet outbound-relay-5-bounce-count, and the suppression list's of changeSet 3. */
    static void createTables(Connection c) throws Exception {
        DatabaseSuppressionListTest.createTables(c);
        c.createStatement().execute("CREATE TABLE OUTBOUND_RELAY_BOUNCE_COUNT (REALM_ID VARCHAR(255) NOT NULL,"
                + " EPOCH_HOUR BIGINT NOT NULL, SENT BIGINT NOT NULL, HARD_BOUNCES BIGINT NOT NULL,"
                + " SOFT_BOUNCES BIGINT NOT NULL, COMPLAINTS BIGINT NOT NULL,"
                + " CONSTRAINT PK_OUTBOUND_RELAY_BOUNCE_COUNT PRIMARY KEY (REALM_ID, EPOCH_HOUR))");
    }

    static EntityManagerFactory jpa(String url, String user) {
        return new PersistenceConfiguration("outbound-relay-bounce-count-test")
                .managedClass(BounceCountEntity.class).managedClass(SuppressionEntity.class)
                .managedClass(SuppressionRevisionEntity.class).managedClass(BounceLeaseEntity.class)
                .property(PersistenceConfiguration.JDBC_URL, url)
                .property(PersistenceConfiguration.JDBC_USER, user)
                .property(PersistenceConfiguration.JDBC_PASSWORD, "")
                .createEntityManagerFactory();
    }

    @Nested
    class OnPostgreSql extends Contract {
        OnPostgreSql() {
            super(onPostgres);
        }

        @Override
        Connection connect() throws SQLException {
            return postgres.connect();
        }
    }

    @Nested
    class OnH2 extends Contract {
        OnH2() {
            super(onH2);
        }

        @Override
        Connection connect() throws SQLException {
            return DriverManager.getConnection(h2Url, "sa", "");
        }
    }

    abstract static class Contract {
        final Database database;
        final String realm = "realm-" + UUID.randomUUID();

        Contract(EntityManagerFactory jpa) {
            this.database = new DatabaseSpoolIT.JpaDatabase(jpa);
        }

        abstract Connection connect() throws SQLException;

        DatabaseBounceCountStore node(String realmId, Instant now) {
            return new DatabaseBounceCountStore(database, realmId, Clock.fixed(now, ZoneOffset.UTC));
        }

        long rows(String realmId) throws SQLException {
            try (Connection c = connect(); ResultSet r = c.createStatement().executeQuery(
                    "SELECT COUNT(*) FROM OUTBOUND_RELAY_BOUNCE_COUNT WHERE REALM_ID = '" + realmId + "'")) {
                r.next();
                return r.getLong(1);
            }
        }

        @Test
        void twoNodesFlushingTheSameHoursAtOnceBothCount() throws Exception {
            DatabaseBounceCountStore nodeA = node(realm, T0);
            DatabaseBounceCountStore nodeB = node(realm, T0);
            int rounds = 25;
            CyclicBarrier together = new CyclicBarrier(2);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> flushes = new ArrayList<>();
                for (DatabaseBounceCountStore node : List.of(nodeA, nodeB)) {
                    flushes.add(threads.submit(() -> {
                        for (int round = 0; round < rounds; round++) {
                            together.await(30, TimeUnit.SECONDS);
                            // A new hour each round (both insert it at once: one meets the primary key), and the
                            // first hour again (both raise the same row at once).
                            node.add(List.of(new HourlyCounts(HOUR0 - 100 + round, 3, 1, 0, 0),
                                    new HourlyCounts(HOUR0, 5, 0, 2, 1)));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : flushes) {
                    f.get(120, TimeUnit.SECONDS); // an add that failed twice would surface here
                }
            } finally {
                threads.shutdownNow();
            }

            List<HourlyCounts> sums = nodeB.read(HOUR0 - 167, HOUR0);
            assertThat(sums).hasSize(rounds + 1);
            assertThat(sums).filteredOn(c -> c.epochHour() == HOUR0).singleElement()
                    .isEqualTo(new HourlyCounts(HOUR0, 2L * rounds * 5, 0, 2L * rounds * 2, 2L * rounds));
            assertThat(sums).filteredOn(c -> c.epochHour() != HOUR0)
                    .allSatisfy(c -> assertThat(c).isEqualTo(new HourlyCounts(c.epochHour(), 6, 2, 0, 0)));
            assertThat(nodeA.read(HOUR0 - 10, HOUR0 - 1)).as("only the hours asked for").isEmpty();
        }

        @Test
        void rowsOlderThanEightDaysAreDeletedByTheFlushAndARealmsDeletionTakesAllItsRows() throws Exception {
            String other = realm + "-other";
            long nineDaysAgo = HOUR0 - Duration.ofDays(9).toHours();
            long sixDaysAgo = HOUR0 - Duration.ofDays(6).toHours();
            node(realm, T0.minus(Duration.ofDays(9))).add(List.of(new HourlyCounts(nineDaysAgo, 1, 0, 0, 0)));
            node(realm, T0.minus(Duration.ofDays(6))).add(List.of(new HourlyCounts(sixDaysAgo, 2, 0, 0, 0)));
            node(other, T0.minus(Duration.ofDays(9))).add(List.of(new HourlyCounts(nineDaysAgo, 4, 0, 0, 0)));
            assertThat(rows(realm)).isEqualTo(2);

            node(realm, T0).add(List.of(new HourlyCounts(HOUR0, 1, 0, 0, 0)));

            assertThat(node(realm, T0).read(nineDaysAgo - 1, HOUR0)).extracting(HourlyCounts::epochHour)
                    .containsExactlyInAnyOrder(sixDaysAgo, HOUR0);
            assertThat(rows(other)).as("another realm's old row too: a deleted realm's stray row goes").isZero();

            node(other, T0).add(List.of(new HourlyCounts(HOUR0, 4, 0, 0, 0)));
            assertThat(DatabaseBounceCountStore.purge(database, realm)).isEqualTo(2);
            assertThat(rows(realm)).isZero();
            assertThat(rows(other)).as("only the deleted realm's rows").isEqualTo(1);
        }

        @Test
        void theRatesAreTheSameOnTwoNodesAndSurviveARestart() throws Exception {
            Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
            BounceHandling nodeA = handling(clock);
            BounceHandling nodeB = handling(clock);
            nodeA.watch().sent(60, clock.instant());
            nodeB.watch().sent(40, clock.instant());
            nodeA.close(); // a restart, or a settings change: the last counts are written
            nodeB.close();

            BounceHandling restarted = handling(clock);
            BounceMetrics m = restarted.watch().metrics(clock.instant());
            assertThat(m.last24Hours().sentRecipients()).isEqualTo(100);
            assertThat(m.last7Days().sentRecipients()).isEqualTo(100);
            restarted.close();
        }

        private BounceHandling handling(Clock clock) {
            return BounceHandling.builder().suppressionList(new DatabaseSuppressionList(database, realm))
                    .countStore(new DatabaseBounceCountStore(database, realm, clock)).countFlushPeriod(Duration.ofHours(1))
                    .deliveryLog(new DeliveryLog(10)).clock(clock).build();
        }
    }
}
