package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.FixedBodyKeys;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.mime.MimeRenderer;
import io.github.outboundrelay.common.spool.MessageCodec;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.keycloak.it.PostgresServer;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import io.github.outboundrelay.testing.ScriptedSmtpPeer.Step;
import jakarta.persistence.EntityManagerFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 in the database spool: the mail the queue rendered at submit is kept in {@code RENDERED}, read back byte
 * for byte, and sent again as it is on a retry; rows of the version before (no rendering) still go out, rendered
 * when sent; and the column gives a database reader no reset link that {@code MESSAGE} would not: sealed with the
 * realm's key, gone with the delivered row, and deleted with the body of a dead letter. On the PostgreSQL the
 * cluster suite uses and on H2 (Keycloak's dev database), through the Hibernate ORM Keycloak ships, with a real SMTP
 * peer on loopback.
 */
class DatabaseSpoolRenderingIT {
    static final Duration LEASE = Duration.ofSeconds(30);
    /**
     * The queues' wall clock, 400 days behind: what the queue renders at submit carries that Date, and what the relay
     * client renders when it sends carries today's. So a Date header tells which of the two rendered a mail.
     */
    static final Clock BEHIND = Clock.offset(Clock.systemUTC(), Duration.ofDays(-400));

    static PostgresServer postgres;
    static EntityManagerFactory onPostgres;
    static EntityManagerFactory onH2;
    static String h2;

    @BeforeAll
    static void startDatabases() throws Exception {
        postgres = PostgresServer.start();
        try (Connection c = postgres.connect()) {
            DatabaseSpoolIT.createTable(c, "TEXT");
        }
        onPostgres = DatabaseSpoolIT.jpa(postgres.jdbcUrl(), PostgresServer.USER);
        h2 = "jdbc:h2:mem:outbound-relay-rendered-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (Connection c = DriverManager.getConnection(h2, "sa", "")) {
            DatabaseSpoolIT.createTable(c, "CLOB");
        }
        onH2 = DatabaseSpoolIT.jpa(h2, "sa");
    }

    @AfterAll
    static void stopDatabases() {
        DatabaseSpoolIT.closeAll(onPostgres, onH2, postgres);
    }

    @Nested
    class OnPostgreSql extends Cases {
        @Override
        EntityManagerFactory jpa() {
            return onPostgres;
        }

        @Override
        Connection connect() throws SQLException {
            return postgres.connect();
        }

        @Override
        String clob() {
            return "TEXT";
        }

        @Override
        EmptyDatabase emptyDatabase() throws SQLException {
            // A schema of its own: the table of the version before, not the shared one.
            String schema = "upgrade_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = postgres.connect()) {
                c.createStatement().execute("CREATE SCHEMA " + schema);
            }
            String url = postgres.jdbcUrl() + "?currentSchema=" + schema;
            return new EmptyDatabase(url, PostgresServer.USER);
        }
    }

    @Nested
    class OnH2 extends Cases {
        @Override
        EntityManagerFactory jpa() {
            return onH2;
        }

        @Override
        Connection connect() throws SQLException {
            return DriverManager.getConnection(h2, "sa", "");
        }

        @Override
        String clob() {
            return "CLOB";
        }

        @Override
        EmptyDatabase emptyDatabase() {
            return new EmptyDatabase("jdbc:h2:mem:outbound-relay-upgrade-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa");
        }
    }

    record EmptyDatabase(String url, String user) {
        Connection connect() throws SQLException {
            return DriverManager.getConnection(url, user, "");
        }
    }

    abstract static class Cases {
        final String queue = "rendered-" + UUID.randomUUID();
        final BodyCipher sealing = BodyCipher.aesGcm(FixedBodyKeys.withKey("realm-key-1"));
        /** The secret part of the reset link: what a database reader must not find. */
        final String token = UUID.randomUUID().toString();
        final List<AutoCloseable> closeAfter = new ArrayList<>();
        ScriptedSmtpPeer relay;

        abstract EntityManagerFactory jpa();

        abstract Connection connect() throws SQLException;

        abstract String clob();

        /** A database without the queue's table, for the upgrade from the version before. */
        abstract EmptyDatabase emptyDatabase() throws SQLException;

        @AfterEach
        void closeAll() throws Exception {
            for (AutoCloseable c : closeAfter) {
                c.close();
            }
        }

        DatabaseSpool spool(EntityManagerFactory factory, BodyCipher cipher) {
            return new DatabaseSpool(new DatabaseSpoolIT.JpaDatabase(factory), queue, "node/" + UUID.randomUUID(), LEASE,
                    cipher, () -> { }, BEHIND);
        }

        /** A reset mail as Keycloak sends it: text and HTML, both holding the link. */
        OutboundMessage resetMail() {
            String link = "https://sso.example.com/realms/acme/login-actions/action-token?key=" + token;
            return OutboundMessage.builder().to("rosa@example.org").subject("Reset password")
                    .text("Someone asked to reset your password. Follow this link:\n\n" + link + "\n")
                    .html("<p>Someone asked to reset your password.</p><p><a href=\"" + link + "\">Reset it</a></p>")
                    .build();
        }

        ScriptedSmtpPeer startRelay() throws Exception {
            relay = ScriptedSmtpPeer.builder().greeting("220 localhost ESMTP rendering test")
                    .ehloReply("250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8").start();
            closeAfter.add(relay);
            return relay;
        }

        RelaySettings settings(String from) {
            return RelaySettings.builder()
                    .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.NONE)
                    .authentication(Authentication.password("rendering-test", Secret.of("rendering-test-pw")))
                    .allowCredentialsOverPlaintext(true)
                    .from(MailAddress.of(from, "Acme SSO", "from"))
                    .timeouts(new Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5)))
                    .build();
        }

        /** A queue on {@code spool} with the clock {@link #BEHIND}, retrying after a quarter of a second. */
        MailQueue queue(Spool spool, RelaySettings settings) {
            MailQueue queue = MailQueue.builder()
                    .relay(settings)
                    .ownedSpool(spool)
                    .clock(BEHIND)
                    .retrySchedule(RetrySchedule.builder().firstRetry(Duration.ofMillis(250)).maxDelay(Duration.ofSeconds(1))
                            .jitter(0).lifetime(Duration.ofHours(1)).build())
                    .relayCooldown(Duration.ofMillis(50), Duration.ofMillis(100))
                    .shutdownTimeout(Duration.ofSeconds(5))
                    .build();
            closeAfter.add(0, queue);
            return queue;
        }

        @Test
        void anEntryReadBackCarriesTheBytesRenderedAtSubmitSealedOrNot() throws Exception {
            startRelay();
            OutboundMessage message = resetMail();
            byte[] rendered = MimeRenderer.render(message, settings("sso@example.com"), BEHIND.instant());
            for (BodyCipher cipher : List.of(sealing, BodyCipher.NONE)) {
                DatabaseSpool spool = recovered(cipher);
                String id = spool.store(message, rendered, BEHIND.instant());

                List<Spool.Entry> claimed = spool.claimDue(BEHIND.instant(), 10);
                assertThat(claimed).extracting(Spool.Entry::id).containsExactly(id);
                assertThat(claimed.get(0).message()).isEqualTo(message);
                assertThat(claimed.get(0).rendered()).as("with " + (cipher.seals() ? "a key" : "no key")).isEqualTo(rendered);
                spool.complete(id);
            }
        }

        @Test
        void aRetrySendsTheVeryBytesRenderedAtSubmitAndRendersNothingAgain() throws Exception {
            startRelay();
            // The relay takes the first copy and hangs up before its "250": the queue must try again.
            relay.reply(Step.END_OF_DATA, ScriptedSmtpPeer.DROP);
            MailQueue queue = queue(spool(jpa(), sealing), settings("sso@example.com"));
            OutboundMessage message = resetMail();
            Instant before = BEHIND.instant().minusSeconds(1);
            queue.submit(message);
            Instant after = BEHIND.instant().plusSeconds(1);

            List<ScriptedSmtpPeer.Received> copies = relay.awaitReceived(2, Duration.ofSeconds(30));
            assertThat(relay.commands(Step.END_OF_DATA)).isEqualTo(2);
            assertThat(copies.get(1).data()).as("the retry's DATA").isEqualTo(copies.get(0).data());
            assertThat(copies.get(0).data()).contains("Message-ID: " + message.messageId() + "\r\n", token);
            Instant date = dateHeader(copies.get(1).data());
            assertThat(date).as("the Date rendered at submit, on the queue's clock").isBetween(before.minusSeconds(1), after);
            Poll.until("the delivered row is deleted", Duration.ofSeconds(10), () -> rows(queue()).isEmpty());
        }

        @Test
        void mailQueuedByTheVersionBeforeIsRenderedWhenSentAfterTheUpgrade() throws Exception {
            startRelay();
            // The table of the version before, and a row it wrote (it knew no RENDERED), sealed as it sealed MESSAGE.
            EmptyDatabase database = emptyDatabase();
            OutboundMessage message = resetMail();
            String id = UUID.randomUUID().toString();
            try (Connection c = database.connect()) {
                DatabaseSpoolIT.createTableOfTheVersionBefore(c, clob());
                insertRowOfTheVersionBefore(c, id, queue, message, sealing);
                // Keycloak starts the new version: Liquibase applies changeSet outbound-relay-4-rendered.
                DatabaseSpoolIT.addRenderedColumn(c, clob());
            }
            EntityManagerFactory upgraded = DatabaseSpoolIT.jpa(database.url(), database.user());
            closeAfter.add(upgraded::close);
            Instant sending = Instant.now();
            MailQueue queue = queue(spool(upgraded, sealing), settings("sso@example.com"));

            String data = relay.awaitReceived(1, Duration.ofSeconds(30)).get(0).data();
            assertThat(data).contains("Message-ID: " + message.messageId() + "\r\n", "Subject: Reset password", token);
            assertThat(dateHeader(data)).as("rendered when sent, with the time of the sending")
                    .isBetween(sending.minusSeconds(2), Instant.now().plusSeconds(1));
            Poll.until("the delivered row is deleted", Duration.ofSeconds(10), () -> queue.queued() == 0);
        }

        @Test
        void aRenderingMadeForAnotherFromIsNotSentAndTheMailIsRenderedAgain() throws Exception {
            startRelay();
            OutboundMessage message = resetMail();
            DatabaseSpool spool = spool(jpa(), sealing);
            // Rendered for the From of the settings of submit time; the administrator changed it while it waited.
            spool.store(message, MimeRenderer.render(message, settings("old-sso@example.com"), BEHIND.instant()), BEHIND.instant());
            queue(spool, settings("sso@example.com"));

            String data = relay.awaitReceived(1, Duration.ofSeconds(30)).get(0).data();
            assertThat(data).contains("From: Acme SSO <sso@example.com>\r\n", token).doesNotContain("old-sso@example.com");
        }

        @Test
        void withAKeyNeitherColumnHoldsTheLinkInAnyFormAndTheDeliveredRowLeavesNothing() throws Exception {
            startRelay();
            MailQueue queue = queue(spool(jpa(), sealing), settings("sso@example.com"));
            relay.always(Step.GREETING, "421 4.3.2 Service not available"); // the mail waits in the table
            queue.submit(resetMail());
            Poll.until("the mail waits for a retry", Duration.ofSeconds(10), () -> relay.commands(Step.END_OF_DATA) == 0
                    && rows(queue()).size() == 1 && rows(queue()).get(0).rendered() != null && relay.connections() > 0);

            Row row = rows(queue()).get(0);
            for (String column : List.of(row.message(), row.rendered())) {
                assertThat(column).doesNotContain(token);
                assertThat(new String(Base64.getDecoder().decode(column), StandardCharsets.ISO_8859_1))
                        .as("Base64-decoded").doesNotContain(token).doesNotContain("Reset password");
            }
            assertThat(row.rendered()).isNotEqualTo(row.message());

            relay.always(Step.GREETING, "220 localhost ESMTP rendering test");
            assertThat(relay.awaitReceived(1, Duration.ofSeconds(30)).get(0).data()).contains(token);
            Poll.until("the delivered row is deleted", Duration.ofSeconds(10), () -> rows(queue()).isEmpty());
        }

        /** A spool on this database with {@code cipher}, recovered, closed after the test. */
        private DatabaseSpool recovered(BodyCipher cipher) {
            DatabaseSpool spool = spool(jpa(), cipher);
            closeAfter.add(spool);
            spool.recover(Spool.QuarantineListener.NONE);
            return spool;
        }

        /** Stores {@code message} with {@code rendered}, claims it and gives it up; the dead letter's id. */
        private static String deadLettered(DatabaseSpool spool, OutboundMessage message, byte[] rendered) {
            String id = spool.store(message, rendered, BEHIND.instant());
            assertThat(spool.claimDue(BEHIND.instant(), 1)).hasSize(1);
            spool.deadLetter(id, DatabaseSpoolIT.deadLetter(id, message));
            return id;
        }

        @Test
        void aDeadLetterLosesItsRenderingWithItsMessageAfterTheRetention() throws Exception {
            DatabaseSpool spool = recovered(sealing);
            String id = deadLettered(spool, resetMail(), "rendered at submit".getBytes(StandardCharsets.US_ASCII));
            assertThat(rows(queue()).get(0).rendered()).as("kept for a retry within the retention").isNotNull();

            // Given up at the real time (DatabaseSpoolIT.deadLetter); the retention is over a second later.
            assertThat(spool.deleteBodies(Instant.now().plusSeconds(1))).isEqualTo(1);

            assertThat(rows(queue())).containsExactly(new Row(id, "DEAD", null, null));
            assertThatThrownBy(() -> spool.requeueDeadLetter(id, BEHIND.instant())).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("its body was deleted after the retention");
        }

        @Test
        void aDeadLetterQueuedAgainWithinTheRetentionKeepsItsRendering() {
            DatabaseSpool spool = recovered(sealing);
            byte[] rendered = "rendered at submit".getBytes(StandardCharsets.US_ASCII);
            String id = deadLettered(spool, resetMail(), rendered);

            assertThat(spool.requeueDeadLetter(id, BEHIND.instant())).isPresent();

            assertThat(spool.claimDue(BEHIND.instant(), 1)).singleElement()
                    .satisfies(e -> assertThat(e.rendered()).isEqualTo(rendered));
        }

        @Test
        void aRenderingWhoseMessageANodeOfTheVersionBeforeDeletedIsDeletedToo() throws Exception {
            DatabaseSpool spool = recovered(sealing);
            String id = deadLettered(spool, resetMail(), "rendered at submit".getBytes(StandardCharsets.US_ASCII));
            // What the retention of the version before does in a cluster being upgraded: it knows MESSAGE only.
            try (Connection c = connect()) {
                c.createStatement().execute("UPDATE OUTBOUND_RELAY_MAIL SET MESSAGE = NULL WHERE ID = '" + id + "'");
            }

            assertThat(spool.deleteBodies(Instant.now().plusSeconds(1))).isEqualTo(1);

            assertThat(rows(queue())).containsExactly(new Row(id, "DEAD", null, null));
        }

        @Test
        void aRenderingMovedIntoAnotherRowOrDamagedIsDroppedAndTheMessageStillGoesOut() throws Exception {
            DatabaseSpool spool = recovered(sealing);
            OutboundMessage first = resetMail();
            OutboundMessage second = OutboundMessage.builder().to("eve@example.org").subject("Hello").text("Hello").build();
            String firstId = spool.store(first, "first rendering".getBytes(StandardCharsets.US_ASCII), BEHIND.instant());
            String secondId = spool.store(second, "second rendering".getBytes(StandardCharsets.US_ASCII), BEHIND.instant());
            try (Connection c = connect()) {
                // Someone who can write the table puts the first mail's sealed rendering into the second row.
                c.createStatement().execute("UPDATE OUTBOUND_RELAY_MAIL SET RENDERED = (SELECT RENDERED FROM OUTBOUND_RELAY_MAIL"
                        + " WHERE ID = '" + firstId + "') WHERE ID = '" + secondId + "'");
                // And its own sealed MESSAGE into the first row's RENDERED: another column, so it does not open either.
                c.createStatement().execute("UPDATE OUTBOUND_RELAY_MAIL SET RENDERED = MESSAGE WHERE ID = '" + firstId + "'");
            }

            List<Spool.Entry> claimed = spool.claimDue(BEHIND.instant(), 10);

            assertThat(claimed).extracting(Spool.Entry::id).containsExactlyInAnyOrder(firstId, secondId);
            assertThat(claimed).allSatisfy(e -> assertThat(e.rendered()).as(e.id()).isNull());
            assertThat(claimed).extracting(Spool.Entry::message).containsExactlyInAnyOrder(first, second);
        }

        @Test
        void withoutAKeyADamagedRenderingIsCaughtByItsChecksum() throws Exception {
            DatabaseSpool spool = recovered(BodyCipher.NONE);
            OutboundMessage message = resetMail();
            String id = spool.store(message, "Date: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII), BEHIND.instant());
            byte[] stored = Base64.getDecoder().decode(rows(queue()).get(0).rendered());
            stored[stored.length - 3] ^= 1; // "body" becomes "bodx"
            try (Connection c = connect();
                 PreparedStatement s = c.prepareStatement("UPDATE OUTBOUND_RELAY_MAIL SET RENDERED = ? WHERE ID = ?")) {
                s.setString(1, Base64.getEncoder().encodeToString(stored));
                s.setString(2, id);
                s.executeUpdate();
            }

            List<Spool.Entry> claimed = spool.claimDue(BEHIND.instant(), 1);

            assertThat(claimed).singleElement().satisfies(e -> {
                assertThat(e.rendered()).isNull();
                assertThat(e.message()).isEqualTo(message);
            });
        }

        String queue() {
            return queue;
        }

        /** The queue's rows as a database reader sees them, with plain JDBC. */
        List<Row> rows(String queueKey) {
            try (Connection c = connect();
                 PreparedStatement s = c.prepareStatement("SELECT ID, STATE, MESSAGE, RENDERED FROM OUTBOUND_RELAY_MAIL"
                         + " WHERE QUEUE_KEY = ? ORDER BY ID")) {
                s.setString(1, queueKey);
                List<Row> rows = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        rows.add(new Row(r.getString(1), r.getString(2), r.getString(3), r.getString(4)));
                    }
                }
                return rows;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    record Row(String id, String state, String message, String rendered) {
    }

    /**
     * A queued row as the version before issue 13 wrote it: no {@code RENDERED}, {@code MESSAGE} sealed with {@code cipher}
     * and the row id as associated data, due now on the clock {@link #BEHIND}.
     */
    static void insertRowOfTheVersionBefore(Connection c, String id, String queue, OutboundMessage message, BodyCipher cipher)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO OUTBOUND_RELAY_MAIL (ID, QUEUE_KEY, STATE, MESSAGE_ID,"
                + " MESSAGE, ATTEMPTS, FIRST_SUBMITTED, DUE, LAST_FAILURE, LEASE_UNTIL) VALUES (?, ?, 'QUEUED', ?, ?, 0, ?, ?, '', 0)")) {
            long now = BEHIND.millis();
            s.setString(1, id);
            s.setString(2, queue);
            s.setString(3, message.messageId());
            s.setString(4, Base64.getEncoder().encodeToString(cipher.seal(MessageCodec.encode(message),
                    id.getBytes(StandardCharsets.UTF_8))));
            s.setLong(5, now);
            s.setLong(6, now);
            s.executeUpdate();
        }
    }

    /** The instant a mail's Date header (its first line, as MimeRenderer writes it) names. */
    static Instant dateHeader(String data) {
        String first = data.substring(0, data.indexOf("\r\n"));
        assertThat(first).startsWith("Date: ");
        return ZonedDateTime.parse(first.substring("Date: ".length()), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    }
}
