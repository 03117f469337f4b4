package io.github.outboundrelay.keycloak;

import static io.github.outboundrelay.keycloak.DatabaseSpoolRenderingIT.BEHIND;
import static io.github.outboundrelay.keycloak.DatabaseSpoolRenderingIT.dateHeader;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.FixedBodyKeys;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.keycloak.it.PostgresServer;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import jakarta.persistence.EntityManagerFactory;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The queue's table upgraded by the real changelog: {@code META-INF/outbound-relay-changelog.xml} from the classpath,
 * applied by the Liquibase Keycloak 26.7.3 ships (4.33.0), on the PostgreSQL the cluster suite uses and on H2. The
 * changelog is applied up to the changeSet before {@code outbound-relay-4-rendered}, a row is queued as the version
 * before wrote it, the whole changelog is applied (the upgrade), and the row is then delivered through the database
 * spool over the upgraded table, while a mail queued after the upgrade keeps its rendering in {@code RENDERED}. It
 * also holds the hand-written DDL of DatabaseSpoolIT and DatabaseSpoolRenderingIT to the tables the changelog creates.
 *
 * <p>The same as in Keycloak (its {@code LiquibaseJpaUpdaterProvider} runs each {@code JpaEntityProvider}'s
 * {@code getChangelogLocation()} after its own changelog, through {@code LiquibaseConnectionProvider
 * .getLiquibaseForCustomUpdate}): the changelog file, read through a class loader by the same path; the Liquibase
 * version (4.33.0 in 26.7.3's lib/lib/main); a {@code liquibase.Liquibase} over a JDBC connection with the database
 * implementation Liquibase picks; the change-log table Keycloak names for the provider id "outbound-relay"
 * ({@code DATABASECHANGELOG_} and its first ten letters: {@value #CHANGELOG_TABLE}), so changeSets are recorded and
 * compared (id, author, file name, checksum) as in a Keycloak database; a plain {@code update}, all contexts.
 *
 * <p>What differs: Keycloak's Liquibase is its {@code KeycloakLiquibase} subclass (it only opens
 * {@code resetServices}) set up once with services of its own: a change-log history service, a lock service
 * ({@code SELECT ... FOR UPDATE} on {@code DATABASECHANGELOGLOCK}, shared with Keycloak's own changelog) with its SQL
 * generators, a {@code DEPLOYMENT_ID} column it adds to change-log tables that lack it, a conditional index change,
 * and database classes of its own for PostgreSQL (a name-case fix that Liquibase 4.32 took over), MySQL and MariaDB.
 * This test uses Liquibase's defaults for all of them and does not copy Keycloak's updater; none of them changes what
 * this changelog's changeSets create (it uses plain {@code createTable}, {@code addColumn}, {@code createIndex}).
 * Keycloak always applies the whole changelog; the first, partial application here stands for what a Keycloak with
 * the provider of the version before left in its database. The Keycloak server ITs run the real updater itself.
 */
class DatabaseChangelogUpgradeIT {
    /** What Keycloak's {@code JpaUtils.getCustomChangelogTableName("outbound-relay")} names the provider's change log. */
    static final String CHANGELOG_TABLE = "DATABASECHANGELOG_OUTBOUND_R";
    static final String RENDERED_CHANGESET = "outbound-relay-4-rendered";
    static final Duration LEASE = Duration.ofSeconds(30);

    static PostgresServer postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() {
        DatabaseSpoolIT.closeAll(postgres);
    }

    /** A fresh, empty database (a schema of its own on PostgreSQL) and the column type the hand-written DDL uses. */
    record EmptyDatabase(String url, String user, String clob) {
        Connection connect() throws SQLException {
            return DriverManager.getConnection(url, user, "");
        }
    }

    @Nested
    class OnPostgreSql extends Cases {
        @Override
        EmptyDatabase emptyDatabase() throws SQLException {
            String schema = "changelog_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = postgres.connect()) {
                c.createStatement().execute("CREATE SCHEMA " + schema);
            }
            return new EmptyDatabase(postgres.jdbcUrl() + "?currentSchema=" + schema, PostgresServer.USER, "TEXT");
        }
    }

    @Nested
    class OnH2 extends Cases {
        @Override
        EmptyDatabase emptyDatabase() {
            return new EmptyDatabase("jdbc:h2:mem:outbound-relay-changelog-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa",
                    "CLOB");
        }
    }

    abstract static class Cases {
        final String queue = "changelog-" + UUID.randomUUID();
        final BodyCipher sealing = BodyCipher.aesGcm(FixedBodyKeys.withKey("realm-key-1"));
        final String token = UUID.randomUUID().toString();
        final List<AutoCloseable> closeAfter = new ArrayList<>();
        ScriptedSmtpPeer relay;

        abstract EmptyDatabase emptyDatabase() throws SQLException;

        @AfterEach
        void closeAll() throws Exception {
            for (AutoCloseable c : closeAfter) {
                c.close();
            }
        }

        @Test
        void mailOfTheVersionBeforeIsDeliveredAfterTheRealChangelogUpgradedItsTable() throws Exception {
            EmptyDatabase database = emptyDatabase();
            // 1. What Keycloak with the provider of the version before left: the changelog's changeSets before RENDERED.
            List<String> before = applyChangelog(database, true);
            assertThat(before).as("the changeSets before " + RENDERED_CHANGESET).isNotEmpty().doesNotContain(RENDERED_CHANGESET);
            assertThat(ranChangeSets(database)).extracting(Ran::id).containsExactlyElementsOf(before);
            assertThat(columns(database)).doesNotContainKey("RENDERED");

            // 2. A mail that version queued: no RENDERED, MESSAGE sealed with the realm's key.
            OutboundMessage old = resetMail("old");
            String oldId = UUID.randomUUID().toString();
            try (Connection c = database.connect()) {
                DatabaseSpoolRenderingIT.insertRowOfTheVersionBefore(c, oldId, queue, old, sealing);
            }

            // 3. The upgrade: the whole changelog, of which only the changeSets after the earlier ones run.
            List<String> upgrade = applyChangelog(database, false);
            assertThat(upgrade).as("the changeSets the upgrade ran").startsWith(RENDERED_CHANGESET);
            List<Ran> ran = ranChangeSets(database);
            assertThat(ran).extracting(Ran::id).as(CHANGELOG_TABLE + " after the upgrade")
                    .containsExactlyElementsOf(concat(before, upgrade));
            assertThat(ran).filteredOn(r -> r.id().equals(RENDERED_CHANGESET)).as("ran once").hasSize(1);
            // A changeSet run a second time would be marked RERAN (or fail: its tables exist).
            assertThat(ran).extracting(Ran::execType).containsOnly("EXECUTED");
            assertThat(columns(database)).containsKey("RENDERED");

            // 4. The new version's spool over the upgraded table sends the old row, rendered when sent.
            startRelay();
            EntityManagerFactory upgraded = DatabaseSpoolIT.jpa(database.url(), database.user());
            closeAfter.add(upgraded::close);
            Instant sending = Instant.now();
            MailQueue queue = queue(upgraded);
            String data = relay.awaitReceived(1, Duration.ofSeconds(30)).get(0).data();
            assertThat(data).contains("Message-ID: " + old.messageId() + "\r\n", "Subject: Reset password old", token);
            assertThat(dateHeader(data)).as("rendered when sent, with the time of the sending")
                    .isBetween(sending.minusSeconds(2), Instant.now().plusSeconds(1));
            Poll.until("the delivered old row is deleted", Duration.ofSeconds(10), () -> rendered(database).isEmpty());

            // And a mail queued after the upgrade keeps its rendering in RENDERED while it waits, and is sent from it.
            // Refused at MAIL, not at the greeting: the old mail's connection is pooled and greets no more.
            relay.always(Step.MAIL, "451 4.3.0 Try again later");
            OutboundMessage fresh = resetMail("new");
            Instant submitted = BEHIND.instant();
            queue.submit(fresh);
            Poll.until("the new mail waits with its rendering", Duration.ofSeconds(10), () -> {
                List<String> waiting = rendered(database); // read once: the row may go between two reads
                return waiting.size() == 1 && waiting.get(0) != null && relay.commands(Step.MAIL) >= 2;
            });
            relay.always(Step.MAIL, "250 2.1.0 Ok");
            String freshData = relay.awaitReceived(2, Duration.ofSeconds(30)).get(1).data();
            assertThat(freshData).contains("Message-ID: " + fresh.messageId() + "\r\n", token);
            assertThat(dateHeader(freshData)).as("the Date rendered at submit, on the queue's clock")
                    .isBetween(submitted.minusSeconds(2), submitted.plusSeconds(2));
            Poll.until("the delivered new row is deleted", Duration.ofSeconds(10), () -> rendered(database).isEmpty());
        }

        @Test
        void theHandWrittenTablesOfTheOtherTestsAreTheOnesTheChangelogCreates() throws Exception {
            EmptyDatabase byChangelogBefore = emptyDatabase();
            applyChangelog(byChangelogBefore, true);
            EmptyDatabase byHandBefore = emptyDatabase();
            try (Connection c = byHandBefore.connect()) {
                DatabaseSpoolIT.createTableOfTheVersionBefore(c, byHandBefore.clob());
            }
            assertThat(columns(byHandBefore)).as("DatabaseSpoolIT.createTableOfTheVersionBefore")
                    .isEqualTo(columns(byChangelogBefore));
            assertThat(primaryKey(byHandBefore)).isEqualTo(primaryKey(byChangelogBefore)).containsExactly("ID");
            assertThat(indexes(byHandBefore)).isEqualTo(indexes(byChangelogBefore))
                    .containsEntry("IDX_OUTBOUND_RELAY_MAIL_DUE", List.of("QUEUE_KEY", "STATE", "DUE"));

            EmptyDatabase byChangelog = emptyDatabase();
            applyChangelog(byChangelog, false);
            EmptyDatabase byHand = emptyDatabase();
            try (Connection c = byHand.connect()) {
                DatabaseSpoolIT.createTable(c, byHand.clob());
            }
            assertThat(columns(byHand)).as("DatabaseSpoolIT.createTable (with addRenderedColumn)")
                    .isEqualTo(columns(byChangelog)).containsKey("RENDERED");
            assertThat(primaryKey(byHand)).isEqualTo(primaryKey(byChangelog));
            assertThat(indexes(byHand)).isEqualTo(indexes(byChangelog));
        }

        ScriptedSmtpPeer startRelay() throws Exception {
            relay = ScriptedSmtpPeer.builder().greeting("220 localhost ESMTP changelog test")
                    .ehloReply("250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8").start();
            closeAfter.add(relay);
            return relay;
        }

        OutboundMessage resetMail(String which) {
            String link = "https://sso.example.com/realms/acme/login-actions/action-token?key=" + token;
            return OutboundMessage.builder().to("rosa@example.org").subject("Reset password " + which)
                    .text("Follow this link:\n\n" + link + "\n").build();
        }

        /** A queue with the clock {@link DatabaseSpoolRenderingIT#BEHIND} on a database spool over {@code factory}. */
        MailQueue queue(EntityManagerFactory factory) {
            DatabaseSpool spool = new DatabaseSpool(new DatabaseSpoolIT.JpaDatabase(factory), queue, "node/" + UUID.randomUUID(),
                    LEASE, sealing, () -> { }, BEHIND);
            RelaySettings settings = RelaySettings.builder()
                    .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.NONE)
                    .authentication(Authentication.password("changelog-test", Secret.of("changelog-test-pw")))
                    .allowCredentialsOverPlaintext(true)
                    .from(MailAddress.of("sso@example.com", "Acme SSO", "from"))
                    .timeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                    .build();
            MailQueue mailQueue = MailQueue.builder()
                    .relay(settings)
                    .ownedSpool(spool)
                    .clock(BEHIND)
                    .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofMillis(250)).maxDelay(Duration.ofSeconds(1))
                            .jitter(0).lifetime(Duration.ofHours(1)).build())
                    .relayCooldown(Duration.ofMillis(50), Duration.ofMillis(100))
                    .shutdownTimeout(Duration.ofSeconds(5))
                    .build();
            closeAfter.add(0, mailQueue);
            return mailQueue;
        }

        /** RENDERED of each of this test's rows (null where there is none), read with plain JDBC. */
        List<String> rendered(EmptyDatabase database) {
            try (Connection c = database.connect();
                 PreparedStatement s = c.prepareStatement("SELECT RENDERED FROM OUTBOUND_RELAY_MAIL WHERE QUEUE_KEY = ?")) {
                s.setString(1, queue);
                List<String> values = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        values.add(r.getString(1));
                    }
                }
                return values;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Applies the real changelog to {@code database} as Keycloak names its change log: with {@code beforeRendered}
     * only the changeSets that come before {@value #RENDERED_CHANGESET} in the file, else all. The ids of the
     * changeSets this call ran.
     */
    static List<String> applyChangelog(EmptyDatabase target, boolean beforeRendered) throws Exception {
        Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(target.connect()));
        database.setDatabaseChangeLogTableName(CHANGELOG_TABLE);
        // Closing it closes the database and its connection.
        try (Liquibase liquibase = new Liquibase(OutboundRelayJpaEntityProvider.CHANGELOG,
                new ClassLoaderResourceAccessor(DatabaseChangelogUpgradeIT.class.getClassLoader()), database)) {
            List<String> unrun = liquibase.listUnrunChangeSets(new Contexts(), new LabelExpression()).stream()
                    .map(ChangeSet::getId).toList();
            if (beforeRendered) {
                List<String> all = liquibase.getDatabaseChangeLog().getChangeSets().stream().map(ChangeSet::getId).toList();
                int count = all.indexOf(RENDERED_CHANGESET);
                assertThat(count).as(RENDERED_CHANGESET + " in the changelog").isPositive();
                liquibase.update(count, new Contexts(), new LabelExpression());
                return unrun.subList(0, count);
            }
            liquibase.update(new Contexts(), new LabelExpression());
            return unrun;
        }
    }

    /** A row of the provider's change log: which changeSet, and how it ran. */
    record Ran(String id, String execType) {
    }

    /** The provider's change log, in the order the changeSets ran. */
    static List<Ran> ranChangeSets(EmptyDatabase database) throws SQLException {
        try (Connection c = database.connect();
             ResultSet r = c.createStatement().executeQuery("SELECT ID, EXECTYPE FROM " + CHANGELOG_TABLE
                     + " ORDER BY ORDEREXECUTED")) {
            List<Ran> ran = new ArrayList<>();
            while (r.next()) {
                ran.add(new Ran(r.getString(1), r.getString(2)));
            }
            return ran;
        }
    }

    /** OUTBOUND_RELAY_MAIL's columns from JDBC metadata: upper-cased name to type, size and nullability. */
    static Map<String, String> columns(EmptyDatabase database) throws SQLException {
        try (Connection c = database.connect();
             ResultSet r = c.getMetaData().getColumns(c.getCatalog(), c.getSchema(), mailTable(c), null)) {
            Map<String, String> columns = new TreeMap<>();
            while (r.next()) {
                columns.put(r.getString("COLUMN_NAME").toUpperCase(), r.getString("TYPE_NAME") + "(" + r.getInt("COLUMN_SIZE") + ")"
                        + (r.getInt("NULLABLE") == DatabaseMetaData.columnNoNulls ? " NOT NULL" : " NULL"));
            }
            assertThat(columns).as("OUTBOUND_RELAY_MAIL's columns").isNotEmpty();
            return columns;
        }
    }

    /** OUTBOUND_RELAY_MAIL's primary key columns, upper-cased. */
    static List<String> primaryKey(EmptyDatabase database) throws SQLException {
        try (Connection c = database.connect();
             ResultSet r = c.getMetaData().getPrimaryKeys(c.getCatalog(), c.getSchema(), mailTable(c))) {
            List<String> key = new ArrayList<>();
            while (r.next()) {
                key.add(r.getString("COLUMN_NAME").toUpperCase());
            }
            return key;
        }
    }

    /** OUTBOUND_RELAY_MAIL's indexes other than its primary key's: upper-cased name to columns in order. */
    static Map<String, List<String>> indexes(EmptyDatabase database) throws SQLException {
        List<String> primaryKey = primaryKey(database);
        try (Connection c = database.connect();
             ResultSet r = c.getMetaData().getIndexInfo(c.getCatalog(), c.getSchema(), mailTable(c), false, false)) {
            Map<String, Map<Short, String>> byPosition = new TreeMap<>();
            while (r.next()) {
                String name = r.getString("INDEX_NAME");
                if (name != null) {
                    byPosition.computeIfAbsent(name.toUpperCase(), n -> new TreeMap<>())
                            .put(r.getShort("ORDINAL_POSITION"), r.getString("COLUMN_NAME").toUpperCase());
                }
            }
            Map<String, List<String>> indexes = new TreeMap<>();
            // The primary key's own index is named by the database (H2 names it after the constraint, with a suffix).
            byPosition.forEach((name, columns) -> {
                List<String> ordered = List.copyOf(columns.values());
                if (!ordered.equals(primaryKey)) {
                    indexes.put(name, ordered);
                }
            });
            return indexes;
        }
    }

    /** The table's name as the database stores an unquoted identifier (PostgreSQL folds it to lower case). */
    private static String mailTable(Connection c) throws SQLException {
        return c.getMetaData().storesLowerCaseIdentifiers() ? "outbound_relay_mail" : "OUTBOUND_RELAY_MAIL";
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
