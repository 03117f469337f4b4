package io.github.outboundrelay.common.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The write limit on a real socket whose reader never reads, also when the watchdog had gone to sleep after a second
 * without writes: the first write after the pause wakes it.
 */
class WriteDeadlineTest {

    @Test
    void aWriteThePeerNeverReadsEndsAtTheLimitEvenAfterTheWatchdogSlept() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket()) {
            client.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), 5_000);
            try (Socket accepted = server.accept()) { // accepted, never read
                WriteDeadline deadline = new WriteDeadline(client, 500);
                deadline.write(new byte[] {'x'}, 1);
                Thread.sleep(1_500); // more than the watchdog's idle second: it parks
                byte[] chunk = new byte[1 << 20];
                long start = System.nanoTime();
                SocketTimeoutException e = catchThrowableOfType(SocketTimeoutException.class, () -> {
                    for (int i = 0; i < 256; i++) { // 256 MiB: far more than both socket buffers hold
                        deadline.write(chunk, chunk.length);
                    }
                });
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertThat(e).as("the write must time out").isNotNull();
                assertThat(e.getMessage()).contains("500 ms");
                assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(500)).isLessThan(Duration.ofSeconds(5));
                assertThat(client.isClosed()).isTrue();
            }
        }
    }
}
