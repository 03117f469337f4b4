package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.OutboundMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The messages every Java case sends, and the bounded loop that sends them from a number of threads. */
final class Workload {
    /** 2,048 bytes of text body, the payload smtp-source sends with {@code -l 2048}. */
    static final String BODY;

    static {
        StringBuilder b = new StringBuilder("Build #42 of app/main failed.\n\n");
        while (b.length() < 2048) {
            b.append("Console output: https://ci.example.com/job/app/job/main/42/console\n");
        }
        b.setLength(2047);
        b.append('\n');
        BODY = b.toString();
    }

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private Workload() {
    }

    static OutboundMessage message() {
        long n = SEQUENCE.incrementAndGet();
        return OutboundMessage.builder().to("user" + n + "@example.com").subject("Build #" + n + " failed").text(BODY).build();
    }

    static List<OutboundMessage> messages(int count) {
        List<OutboundMessage> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(message());
        }
        return list;
    }

    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    /**
     * Runs {@code task} for indexes 0..count-1 from {@code threads} threads, each taking the next index, until all
     * are done or {@code cap} has passed (every loop here is bounded in count and in time).
     *
     * @return how many tasks completed; they are exactly the indexes 0..n-1
     */
    static int runConcurrently(int threads, int count, Duration cap, Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + cap.toNanos();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    int i;
                    while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < count) {
                        task.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        return Math.min(count, next.get());
    }
}
