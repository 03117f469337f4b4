package io.github.outboundrelay.common;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process {@link KilledJvmRecoveryTest} kills: submits mail with known Message-IDs from several threads to a
 * queue whose relay refuses connections (so the dispatcher keeps rewriting entries as it retries), and prints
 * {@code ACK <Message-ID>} for each submit that returned. Runs until killed.
 *
 * <p>Arguments: spool directory, port of the refusing relay, number of mails, submitting threads.
 */
public final class KilledQueueChild {
    private KilledQueueChild() {
    }

    public static void main(String[] args) throws Exception {
        Path spool = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
        RelaySettings refusing = RelaySettings.builder().host("127.0.0.1").port(port).tlsMode(TlsMode.NONE)
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .build();
        MailQueue queue = MailQueue.builder().relay(refusing).spoolDirectory(spool)
                .relayCooldown(Duration.ofMillis(20), Duration.ofMillis(50))
                .deliveryLog(new DeliveryLog(10))
                .build();
        AtomicInteger next = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread submitter = new Thread(() -> {
                int n;
                while ((n = next.getAndIncrement()) < count) {
                    String messageId = "<killed-jvm-" + n + "@example.com>";
                    queue.submit(OutboundMessage.builder().messageId(messageId).to("user" + n + "@example.com")
                            .subject("Mail " + n).text("Body " + n).build());
                    synchronized (out) {
                        out.println("ACK " + messageId);
                        out.flush(); // The parent must see every acknowledgement before the kill.
                    }
                }
                finished.countDown();
            });
            submitter.start();
        }
        finished.await();
        synchronized (out) {
            out.println("DONE");
            out.flush();
        }
        new CountDownLatch(1).await(); // Wait to be killed.
    }
}
