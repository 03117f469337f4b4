package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolContract;
import io.github.outboundrelay.keycloak.it.PostgresServer;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.PersistenceConfiguration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The database spool on real databases, through the Hibernate ORM Keycloak ships but without a Keycloak: Debian's
 * PostgreSQL (as the cluster suite starts it) and H2 in memory (Keycloak's dev database). Each runs relay-common's
 * storage contract; on PostgreSQL, the two lease rules of issue 12 too: a lease belongs to a spool instance, and
 * is compared against the database's clock, not a node's.
 */
class DatabaseSpoolIT {
    static final Duration LEASE = Duration.ofSeconds(30);

    static PostgresServer postgres;
    static EntityManagerFactory onPostgres;
    static EntityManagerFactory onH2;

    @BeforeAll
    static void startDatabases() throws Exception {
        postgres = PostgresServer.start();
        try (Connection c = postgres.connect()) {
            createTable(c, "TEXT");
        }
        onPostgres = jpa(postgres.jdbcUrl(), PostgresServer.USER);
        String h2 = "jdbc:h2:mem:outbound-relay-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (Connection c = DriverManager.getConnection(h2, "sa", "")) {
            createTable(c, "CLOB");
        }
        onH2 = jpa(h2, "sa");
    }

    @AfterAll
    static void stopDatabases() {
        closeAll(onPostgres, onH2, postgres);
    }

    /** Closes each of {@code resources} that is there, going on after a failure (printed): the databases of a class. */
    static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    /**
     * The table as Keycloak's Liquibase creates it from META-INF/outbound-relay-changelog.xml: changeSets 1 and 2
     * ({@link #createTableOfTheVersionBefore}), then 4, which adds {@code RENDERED}. DatabaseChangelogUpgradeIT
     * compares both with the tables the real changelog creates (columns, types, keys, indexes).
     */
    static void createTable(Connection c, String clob) throws SQLException {
        createTableOfTheVersionBefore(c, clob);
        addRenderedColumn(c, clob);
    }

    /** ChangeSet outbound-relay-4-rendered. */
    static void addRenderedColumn(Connection c, String clob) throws SQLException {
        c.createStatement().execute("ALTER TABLE OUTBOUND_RELAY_MAIL ADD RENDERED " + clob);
    }

    /** The table of changeSets 1 and 2, as the version before issue 13 used it. */
    static void createTableOfTheVersionBefore(Connection c, String clob) throws SQLException {
        c.createStatement().execute("CREATE TABLE OUTBOUND_RELAY_MAIL (ID VARCHAR(36) NOT NULL, QUEUE_KEY VARCHAR(255) NOT NULL,"
                + " STATE VARCHAR(16) NOT NULL, MESSAGE_ID VARCHAR(1000) NOT NULL, MESSAGE " + clob + ", ATTEMPTS INT NOT NULL,"
                + " FIRST_SUBMITTED BIGINT NOT NULL, DUE BIGINT NOT NULL, LAST_FAILURE VARCHAR(2000), LEASE_OWNER VARCHAR(255),"
                + " LEASE_UNTIL BIGINT NOT NULL, DEAD_LETTER " + clob + ", DEAD_LETTERED BIGINT,"
                + " CONSTRAINT PK_OUTBOUND_RELAY_MAIL PRIMARY KEY (ID))");
        c.createStatement().execute("CREATE INDEX IDX_OUTBOUND_RELAY_MAIL_DUE ON OUTBOUND_RELAY_MAIL (QUEUE_KEY, STATE, DUE)");
    }

    static EntityManagerFactory jpa(String url, String user) {
        return new PersistenceConfiguration("outbound-relay-spool-test")
                .managedClass(QueuedMailEntity.class)
                .property(PersistenceConfiguration.JDBC_URL, url)
                .property(PersistenceConfiguration.JDBC_USER, user)
                .property(PersistenceConfiguration.JDBC_PASSWORD, "")
                .createEntityManagerFactory();
    }

    /** Keycloak's database as the spool sees it: one short transaction per call, here on a plain JPA factory. */
    static final class JpaDatabase extends Database {
        private final EntityManagerFactory factory;

        JpaDatabase(EntityManagerFactory factory) {
            super(null);
            this.factory = factory;
        }

        @Override
        <T> T call(Function<EntityManager, T> work) {
            EntityManager em = factory.createEntityManager();
            EntityTransaction tx = em.getTransaction();
            try {
                tx.begin();
                T result = work.apply(em);
                tx.commit();
                return result;
            } catch (RuntimeException e) {
                if (tx.isActive()) {
                    tx.rollback();
                }
                throw e;
            } finally {
                em.close();
            }
        }
    }

    static DatabaseSpool spool(EntityManagerFactory factory, String queue, String owner, Duration lease, Clock clock) {
        return new DatabaseSpool(new JpaDatabase(factory), queue, owner, lease, BodyCipher.NONE, () -> { }, clock);
    }

    static OutboundMessage mail(String subject) {
        return OutboundMessage.builder().to("lease@example.com").subject(subject).text("Body of " + subject).build();
    }

    @Nested
    class OnPostgreSql extends SpoolContract {
        final String queue = "contract-" + UUID.randomUUID();
        int spools;

        @Override
        protected Spool openSpool() {
            return spool(onPostgres, queue, "contract-node/" + ++spools, LEASE, Clock.systemUTC());
        }
    }

    @Nested
    class OnH2 extends SpoolContract {
        final String queue = "contract-" + UUID.randomUUID();
        int spools;

        @Override
        protected Spool openSpool() {
            return spool(onH2, queue, "contract-node/" + ++spools, LEASE, Clock.systemUTC());
        }
    }

    @Nested
    class Leases {
        final String queue = "leases-" + UUID.randomUUID();

        @Test
        void aNodeWhoseClockRunsFortySecondsAheadCannotTakeALeaseThatIsStillLive() {
            Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(40));
            DatabaseSpool honest = spool(onPostgres, queue, "honest-node/1", LEASE, Clock.systemUTC());
            DatabaseSpool skewed = spool(onPostgres, queue, "skewed-node/1", LEASE, ahead);
            honest.recover(Spool.QuarantineListener.NONE);
            skewed.recover(Spool.QuarantineListener.NONE);
            String id = honest.store(mail("leased by the honest node"), Instant.now());
            assertThat(honest.claimDue(Instant.now(), 1)).extracting(Spool.Entry::id).containsExactly(id);

            // Its clock says the 30 s lease ran out 10 s ago; the database's says it has about 30 s to go.
            assertThat(skewed.claimDue(ahead.instant(), 10)).as("a live lease is not taken").isEmpty();
            assertThat(skewed.nextDue()).as("when the lease may end, in the skewed node's own clock")
                    .hasValueSatisfying(t -> assertThat(t).isAfter(ahead.instant().plusSeconds(20)));
            assertThat(row(id)).containsExactly("QUEUED", "honest-node/1", "0");
            honest.close();
            skewed.close();
        }

        @Test
        void eachSpoolTheStoreOpensIsALeaseOwnerOfItsOwn() {
            try (DatabaseQueueStore store = new DatabaseQueueStore(new JpaDatabase(onPostgres), LEASE, AtRestOptions.UNENCRYPTED)) {
                DatabaseSpool old = (DatabaseSpool) store.openSpool(queue);
                DatabaseSpool successor = (DatabaseSpool) store.openSpool(queue);
                assertThat(old.owner()).startsWith(store.owner()).isNotEqualTo(successor.owner());
                old.close();
                successor.close();
            }
        }

        @Test
        void theOldSpoolOfARealmCannotOverwriteTheLeaseItsSuccessorTook() throws Exception {
            Duration shortLease = Duration.ofSeconds(1);
            DatabaseSpool old = spool(onPostgres, queue, "node/1", shortLease, Clock.systemUTC());
            DatabaseSpool successor = spool(onPostgres, queue, "node/2", shortLease, Clock.systemUTC());
            old.recover(Spool.QuarantineListener.NONE);
            successor.recover(Spool.QuarantineListener.NONE);
            OutboundMessage message = mail("claimed by the old queue");
            String id = old.store(message, Instant.now());
            assertThat(old.claimDue(Instant.now(), 1)).hasSize(1);

            // The old queue's send outlives its lease (a pause longer than the lease); the successor takes the mail.
            assertThat(awaitClaim(successor)).extracting(Spool.Entry::id).containsExactly(id);
            assertThat(row(id)).containsExactly("QUEUED", "node/2", "0");

            old.defer(id, 5, Instant.now().plusSeconds(3600), "the old queue's late retry");
            old.deadLetter(id, deadLetter(id, message));
            assertThat(row(id)).as("the successor's lease and the row untouched").containsExactly("QUEUED", "node/2", "0");
            successor.complete(id);
            assertThat(successor.depth().queued()).isZero();
            old.close();
            successor.close();
        }

        private List<Spool.Entry> awaitClaim(Spool spool) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                List<Spool.Entry> claimed = spool.claimDue(Instant.now(), 1);
                if (!claimed.isEmpty()) {
                    return claimed;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the expired lease was never claimable");
                }
                Thread.sleep(100);
            }
        }
    }

    /** STATE, LEASE_OWNER, ATTEMPTS of a row on PostgreSQL, read with plain JDBC. */
    static List<String> row(String id) {
        try (Connection c = postgres.connect();
             PreparedStatement s = c.prepareStatement("SELECT STATE, LEASE_OWNER, ATTEMPTS FROM OUTBOUND_RELAY_MAIL WHERE ID = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                assertThat(r.next()).as("row " + id).isTrue();
                return List.of(r.getString(1), String.valueOf(r.getString(2)), String.valueOf(r.getInt(3)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static DeadLetter deadLetter(String id, OutboundMessage message) {
        return new DeadLetter(id, message.messageId(), List.of("l***@example.com"), message.subject(), "relay.example.com:587",
                FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 rejected", "Check the recipient", DeadLetter.Reason.REJECTED, 1,
                Instant.now(), Instant.now());
    }
}
