package io.github.outboundrelay.common;

import io.github.outboundrelay.common.queue.TokenBucket;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two queues that send through one relay account share one budget, as two Keycloak nodes do through their
 * database: the relay's limit holds for both together, and a permit no mail used goes back at once.
 */
class SharedThrottleBudgetTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spoolA;
    @TempDir
    Path spoolB;
    final ManualTime time = new ManualTime();
    final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    /** One token bucket for every queue that asks, counting what it gives and gets back. */
    static final class CountingSharedBudget implements ThrottleBudget, ThrottleBudget.Source {
        private final TokenBucket bucket;
        final AtomicInteger taken = new AtomicInteger();
        final AtomicInteger givenBack = new AtomicInteger();

        CountingSharedBudget(int limit, Duration period) {
            bucket = new TokenBucket(limit, period, 0);
        }

        @Override
        public ThrottleBudget budget(String relayName, int limit, Duration period, long nowNanos) {
            return this;
        }

        @Override
        public synchronized long tryTake(long nowNanos, int permits) {
            long wait = bucket.tryTake(nowNanos, permits);
            if (wait == 0) {
                taken.addAndGet(permits);
            }
            return wait;
        }

        @Override
        public synchronized void giveBack(long nowNanos, int permits) {
            givenBack.addAndGet(permits);
            bucket.giveBack(nowNanos, permits);
        }
    }

    MailQueue queue(Path spool, ScriptedSmtpPeer relay, ThrottleBudget.Source budgets) {
        MailQueue queue = MailQueue.builder()
                .spoolDirectory(spool)
                .relay(QueueTestPeer.settings(relay), Throttle.perMinute(10))
                .throttleBudgets(budgets)
                .clock(time).ticker(time::nanoTime).jitter(() -> 0.0)
                .shutdownTimeout(Duration.ofSeconds(5))
                .manualDispatch()
                .build();
        closeAfter.add(0, queue);
        return queue;
    }

    @Test
    void twoQueuesSharingABudgetSendTheLimitBetweenThemNotEach() throws Exception {
        ScriptedSmtpPeer relay = QueueTestPeer.start();
        closeAfter.add(relay);
        CountingSharedBudget shared = new CountingSharedBudget(10, Duration.ofMinutes(1));
        MailQueue a = queue(spoolA, relay, shared);
        MailQueue b = queue(spoolB, relay, shared);
        for (int i = 0; i < 20; i++) {
            a.submit(mail(i));
            b.submit(mail(100 + i));
        }

        for (int second = 0; second < 60; second++) {
            // Whichever process looks first gets the permit: take turns, as two nodes' timers do.
            (second % 2 == 0 ? a : b).runUntilQuiet(WAIT);
            (second % 2 == 0 ? b : a).runUntilQuiet(WAIT);
            time.advance(Duration.ofSeconds(1));
        }

        // A burst of one (10 / 20, at least 1), then one every 6 s: 10 in the minute for both queues together.
        assertThat(relay.received()).hasSizeBetween(9, 11);
        assertThat(a.metrics().sent()).isPositive();
        assertThat(b.metrics().sent()).isPositive();
        assertThat(shared.taken.get() - shared.givenBack.get()).isEqualTo(relay.received().size());
    }

    @Test
    void aPermitTakenWhenNoMailIsDueGoesBack() throws Exception {
        ScriptedSmtpPeer relay = QueueTestPeer.start();
        closeAfter.add(relay);
        CountingSharedBudget shared = new CountingSharedBudget(10, Duration.ofMinutes(1));
        MailQueue queue = queue(spoolA, relay, shared);

        queue.runUntilQuiet(WAIT);
        queue.runUntilQuiet(WAIT);

        assertThat(shared.taken.get()).isPositive();
        assertThat(shared.givenBack.get()).isEqualTo(shared.taken.get());
        queue.submit(mail(1));
        queue.runUntilQuiet(WAIT);
        assertThat(relay.received()).hasSize(1);
        assertThat(shared.taken.get() - shared.givenBack.get()).isEqualTo(1);
    }
}
