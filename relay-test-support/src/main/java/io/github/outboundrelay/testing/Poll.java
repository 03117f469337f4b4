package io.github.outboundrelay.testing;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for something another thread (a queue's sender, a relay, a server) makes true, instead of sleeping a fixed
 * time: checks often at first, then every 100 ms, and fails with what it waited for once {@code timeout} is over.
 *
 * <pre>{@code
 * Poll.until("the mail was deferred", Duration.ofSeconds(20), () -> !deferred().isEmpty());
 * String body = Poll.untilPresent("the mail to bob", Duration.ofSeconds(20), () -> mailTo("bob"));
 * }</pre>
 */
public final class Poll {
    private static final long FIRST_PAUSE_MILLIS = 5;
    private static final long LONGEST_PAUSE_MILLIS = 100;

    private Poll() {
    }

    /** Returns once {@code condition} holds. @throws AssertionError naming {@code what} after {@code timeout} */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        untilPresent(what, timeout, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** Returns the first value {@code probe} finds. @throws AssertionError naming {@code what} after {@code timeout} */
    public static <T> T untilPresent(String what, Duration timeout, Supplier<Optional<T>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        while (true) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(pause);
            pause = Math.min(LONGEST_PAUSE_MILLIS, pause * 2);
        }
    }

    /**
     * For the fixtures' own lists: waits until {@code list} holds {@code count} items, woken by {@code notifyAll} on
     * {@code monitor}, which guards the list. Returns a copy. @throws IllegalStateException after {@code timeout}
     */
    static <T> List<T> untilCount(Object monitor, List<T> list, int count, Duration timeout, String items)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (monitor) {
            while (list.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + count + " " + items + " within " + timeout + ", got " + list.size());
                }
                monitor.wait(Math.max(1, left / 1_000_000));
            }
            return List.copyOf(list);
        }
    }
}
