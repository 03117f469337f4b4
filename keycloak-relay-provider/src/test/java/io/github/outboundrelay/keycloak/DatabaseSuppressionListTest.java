package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.Suppression;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceConfiguration;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The realm's suppression list in a real H2 database (Keycloak's dev database) through Hibernate, the tables as the
 * changelog creates them: two lists over one database stand for two nodes, with a clock the test moves.
 */
class DatabaseSuppressionListTest {
    static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    String url;
    Connection keepAlive;
    EntityManagerFactory jpa;
    Database database;
    final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void createTables() throws Exception {
        url = "jdbc:h2:mem:suppression-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        keepAlive = DriverManager.getConnection(url, "sa", "");
        createTables(keepAlive);
        jpa = new PersistenceConfiguration("outbound-relay-suppression-test")
                .managedClass(SuppressionEntity.class).managedClass(SuppressionRevisionEntity.class)
                .managedClass(BounceLeaseEntity.class)
                .property(PersistenceConfiguration.JDBC_URL, url)
                .property(PersistenceConfiguration.JDBC_USER, "sa")
                .property(PersistenceConfiguration.JDBC_PASSWORD, "")
                .createEntityManagerFactory();
        database = new DatabaseSpoolIT.JpaDatabase(jpa);
    }

    @AfterEach
    void close() throws Exception {
        jpa.close();
        keepAlive.close();
    }

    /** The tables of changeSet outbound-relay-3-suppression. */
    static void createTables(Connection c) throws Exception {
        c.createStatement().execute("CREATE TABLE OUTBOUND_RELAY_SUPPRESSION (ID VARCHAR(64) NOT NULL, REALM_ID VARCHAR(255) NOT NULL,"
                + " ADDRESS VARCHAR(320) NOT NULL, SUPPRESSED BOOLEAN NOT NULL, REASON VARCHAR(16) NOT NULL, STATUS VARCHAR(32),"
                + " DIAGNOSTIC VARCHAR(1000), SOFT_BOUNCES INT NOT NULL, SINCE BIGINT NOT NULL, LAST_REPORT BIGINT NOT NULL,"
                + " CONSTRAINT PK_OUTBOUND_RELAY_SUPPRESSION PRIMARY KEY (ID))");
        c.createStatement().execute("CREATE TABLE OUTBOUND_RELAY_SUPPRESSION_REV (REALM_ID VARCHAR(255) NOT NULL,"
                + " REVISION BIGINT NOT NULL, CONSTRAINT PK_OUTBOUND_RELAY_SUPPR_REV PRIMARY KEY (REALM_ID))");
        c.createStatement().execute("CREATE TABLE OUTBOUND_RELAY_BOUNCE_LEASE (REALM_ID VARCHAR(255) NOT NULL,"
                + " OWNER VARCHAR(255) NOT NULL, LEASE_UNTIL BIGINT NOT NULL, CONSTRAINT PK_OUTBOUND_RELAY_BOUNCE_LEASE"
                + " PRIMARY KEY (REALM_ID))");
    }

    DatabaseSuppressionList list(String realm) {
        return new DatabaseSuppressionList(database, realm, nanos::get);
    }

    static Suppression hard(String address) {
        return new Suppression(address, true, BounceKind.HARD, "5.1.1", "550 5.1.1 unknown user", 0, T0, T0);
    }

    @Test
    void anEntryIsStoredAndReadBackWithEveryFieldAndAnyCase() throws IOException {
        DatabaseSuppressionList list = list("realm-a");
        list.put(hard("Ghost@Bounce.test"));
        list.put(new Suppression("slow@bounce.test", false, BounceKind.SOFT, "4.2.2", "mailbox full", 2, T0, T0.plusSeconds(60)));

        DatabaseSuppressionList reread = list("realm-a");
        assertThat(reread.get("GHOST@bounce.test")).contains(hard("ghost@bounce.test"));
        assertThat(reread.isSuppressed("ghost@bounce.test")).isTrue();
        assertThat(reread.isSuppressed("slow@bounce.test")).as("soft bounces only count").isFalse();
        assertThat(reread.get("slow@bounce.test")).hasValueSatisfying(s -> {
            assertThat(s.softBounces()).isEqualTo(2);
            assertThat(s.lastReport()).isEqualTo(T0.plusSeconds(60));
        });
        assertThat(reread.suppressedCount()).isEqualTo(1);
        assertThat(reread.search("BOUNCE", 10)).extracting(Suppression::address)
                .containsExactly("ghost@bounce.test", "slow@bounce.test");
        assertThat(reread.search("ghost", 10)).hasSize(1);
        assertThat(reread.search("", 1)).hasSize(1);
        assertThat(reread.get("not an address")).isEmpty();
    }

    @Test
    void realmsDoNotSeeEachOthersListsAndAPurgeDeletesOnlyItsRealm() throws IOException {
        list("realm-a").put(hard("ghost@bounce.test"));
        list("realm_b").put(hard("ghost@bounce.test"));

        assertThat(DatabaseSuppressionList.purge(database, "realm-a")).isEqualTo(1);

        assertThat(list("realm-a").get("ghost@bounce.test")).isEmpty();
        assertThat(list("realm_b").get("ghost@bounce.test")).isPresent();
    }

    @Test
    void aChangeOnOneNodeIsHonouredOnAnotherWithinTheRefreshInterval() throws IOException {
        DatabaseSuppressionList nodeA = list("realm-a");
        DatabaseSuppressionList nodeB = list("realm-a");
        assertThat(nodeB.get("ghost@bounce.test")).isEmpty(); // node B reads its copy now

        nodeA.put(hard("ghost@bounce.test"));
        assertThat(nodeA.isSuppressed("ghost@bounce.test")).as("the writing node at once").isTrue();
        nanos.addAndGet(DatabaseSuppressionList.REFRESH.toNanos() - 1);
        assertThat(nodeB.isSuppressed("ghost@bounce.test")).as("within the interval node B keeps its copy").isFalse();
        nanos.addAndGet(1);
        assertThat(nodeB.isSuppressed("ghost@bounce.test")).as("once it has passed, node B sees it").isTrue();

        assertThat(nodeB.remove("GHOST@bounce.test")).isTrue();
        assertThat(nodeB.remove("ghost@bounce.test")).as("already gone").isFalse();
        nanos.addAndGet(DatabaseSuppressionList.REFRESH.toNanos());
        assertThat(nodeA.isSuppressed("ghost@bounce.test")).isFalse();
    }

    @Test
    void whenTheDatabaseIsGoneTheLastCopyStaysInUseAndAWriteFailsWithTheTable() throws Exception {
        DatabaseSuppressionList list = list("realm-a");
        list.put(hard("ghost@bounce.test"));
        keepAlive.createStatement().execute("DROP TABLE OUTBOUND_RELAY_SUPPRESSION_REV");
        nanos.addAndGet(DatabaseSuppressionList.REFRESH.toNanos());

        assertThat(list.isSuppressed("ghost@bounce.test")).isTrue();
        assertThatThrownBy(() -> list.put(hard("other@bounce.test"))).isInstanceOf(IOException.class)
                .hasMessageContaining("OUTBOUND_RELAY_SUPPRESSION");
    }

    @Test
    void oneNodeHoldsTheMailboxLeaseUntilItRunsOutOrIsReleased() {
        Clock[] now = {Clock.fixed(T0, ZoneOffset.UTC)};
        Clock moving = new Clock() {
            public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            public Clock withZone(java.time.ZoneId zone) { return this; }
            public Instant instant() { return now[0].instant(); }
        };
        BounceMailboxLease nodeA = new BounceMailboxLease(database, "node-a", moving);
        BounceMailboxLease nodeB = new BounceMailboxLease(database, "node-b", moving);
        Duration lease = Duration.ofMinutes(10);

        assertThat(nodeA.take("realm-a", lease)).isEmpty();
        assertThat(nodeB.take("realm-a", lease)).contains("node-a");
        assertThat(nodeB.take("realm-b", lease)).as("another realm's mailbox").isEmpty();
        assertThat(nodeA.take("realm-a", lease)).as("the holder extends it").isEmpty();

        now[0] = Clock.fixed(T0.plus(lease).plusMillis(1), ZoneOffset.UTC);
        assertThat(nodeB.take("realm-a", lease)).as("node A stopped polling: its lease ran out").isEmpty();
        assertThat(nodeA.take("realm-a", lease)).contains("node-b");

        nodeB.release("realm-a");
        assertThat(nodeA.take("realm-a", lease)).isEmpty();
        BounceMailboxLease.purge(database, "realm-a");
        assertThat(nodeB.take("realm-a", lease)).isEmpty();
    }
}
