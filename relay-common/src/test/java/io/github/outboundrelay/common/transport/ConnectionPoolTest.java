package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.tls.TlsContext;
import io.github.outboundrelay.testing.Poll;
import io.github.outboundrelay.testing.ScriptedSmtpPeer;

import jakarta.mail.Session;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool's connection reuse time limit, with the clock driven by the test: a connection carries mail for at most
 * the limit after it was opened (at the limit exactly it still may, as Postfix's
 * {@code smtp_connection_reuse_time_limit}), then it is closed with QUIT on release, on acquire or by the janitor's
 * cleanup, while a younger one is reused. The connections are real, to a {@link ScriptedSmtpPeer} on loopback, so
 * that the QUIT of each close is seen on the wire.
 */
class ConnectionPoolTest {
    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private static final long LIMIT = 10 * SECOND;
    private static final long IDLE_TIMEOUT = 60 * SECOND; // longer than the limit: only the limit closes here
    private static final long T0 = 1_000 * SECOND;
    private static final long NO_WAIT = 0;

    private ScriptedSmtpPeer peer;
    private RelaySettings settings;
    private TlsContext tls;
    private Session session;
    private ConnectionPool pool;

    @BeforeEach
    void start() throws Exception {
        peer = ScriptedSmtpPeer.builder().start();
        settings = RelaySettings.builder().host("127.0.0.1").port(peer.port()).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5))).build();
        tls = TlsContext.create(settings.trust());
        session = MailSessionFactory.create(settings, tls);
        pool = new ConnectionPool(2, IDLE_TIMEOUT, LIMIT);
    }

    @AfterEach
    void stop() {
        pool.close();
        peer.close();
    }

    @Test
    void aConnectionAtTheLimitIsStillReusedAndOnePastItIsClosedOnRelease() throws Exception {
        assertThat(pool.acquire(NO_WAIT, T0)).as("nothing idle yet").isNull();
        RelayConnection connection = open(T0);

        assertThat(pool.withinReuseTimeLimit(connection, T0 + LIMIT)).isTrue();
        pool.release(connection, true, T0 + LIMIT);
        assertThat(pool.idleCount()).as("at the limit exactly: kept").isEqualTo(1);
        assertThat(pool.acquire(NO_WAIT, T0 + LIMIT)).as("and handed out").isSameAs(connection);

        assertThat(pool.withinReuseTimeLimit(connection, T0 + LIMIT + 1)).isFalse();
        pool.release(connection, true, T0 + LIMIT + 1);
        assertThat(pool.idleCount()).as("a nanosecond past the limit: not kept").isZero();
        awaitQuits(1);
        assertThat(pool.acquire(NO_WAIT, T0 + LIMIT + 1)).isNull();
        assertThat(peer.connections()).isEqualTo(1);
    }

    @Test
    void acquireClosesAnIdleConnectionPastTheLimitAndHandsOutAYoungerOne() throws Exception {
        RelayConnection young = open(T0 + 5 * SECOND);
        RelayConnection old = open(T0);
        pool.release(young, true, T0 + 8 * SECOND);
        pool.release(old, true, T0 + 9 * SECOND); // most recently used: acquire looks at it first
        assertThat(pool.idleCount()).isEqualTo(2);

        // Idle for 2 s only (far from the idle timeout), but opened LIMIT + 1 ns ago.
        RelayConnection handedOut = pool.acquire(NO_WAIT, T0 + LIMIT + 1);

        assertThat(handedOut).as("the younger one, 5 s old").isSameAs(young);
        assertThat(pool.idleCount()).isZero();
        awaitQuits(1);
        pool.release(handedOut, true, T0 + LIMIT + 2);
        assertThat(pool.idleCount()).as("the young one goes back: reused again").isEqualTo(1);
        assertThat(pool.acquire(NO_WAIT, T0 + LIMIT + 3)).isSameAs(young);
        assertThat(peer.lines()).filteredOn("QUIT"::equals).as("only the old one was closed").hasSize(1);
    }

    @Test
    void aConnectionThatCannotCarryAnotherMailIsClosedHoweverYoung() throws Exception {
        RelayConnection connection = open(T0);
        pool.release(connection, false, T0 + SECOND);
        assertThat(pool.idleCount()).isZero();
        awaitQuits(1);
    }

    @Test
    void cleanupClosesAnIdleConnectionPastTheLimitAndTellsWhenTheNextOneIsDue() throws Exception {
        RelayConnection connection = open(T0);
        pool.release(connection, true, T0 + SECOND);

        assertThat(pool.cleanup(T0 + LIMIT - SECOND)).as("a second before: the limit comes before the idle timeout")
                .isEqualTo(SECOND + 1);
        assertThat(pool.cleanup(T0 + LIMIT)).as("at the limit: due a nanosecond later").isEqualTo(1);
        assertThat(pool.idleCount()).isEqualTo(1);

        assertThat(pool.cleanup(T0 + LIMIT + 1)).as("none idle any more").isEqualTo(-1);
        assertThat(pool.idleCount()).isZero();
        awaitQuits(1);
    }

    @Test
    void aNegativeLimitIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ConnectionPool(1, IDLE_TIMEOUT, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private RelayConnection open(long nowNanos) throws Exception {
        return RelayConnection.open(session, settings, tls, null, nowNanos);
    }

    /** The peer reads a QUIT on its own thread after the client wrote it: wait for it, bounded. */
    private void awaitQuits(int count) throws InterruptedException {
        Poll.until(count + " QUIT(s)", Duration.ofSeconds(10),
                () -> peer.lines().stream().filter("QUIT"::equals).count() >= count);
        assertThat(peer.lines()).filteredOn("QUIT"::equals).hasSize(count);
    }
}
