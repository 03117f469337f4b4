package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeliveryLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A settings save replaces the bounce handling with the queue: the rate counts outlive it, also the count of a mail
 * the old queue finishes after the save (a send that outlived the release wait, with a long read timeout).
 */
class RelayBouncesTest {
    static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path dir;
    final Instant now = Instant.now();

    BounceHandling handling() {
        return BounceHandling.builder().suppressionDirectory(dir).deliveryLog(new DeliveryLog(10)).build();
    }

    @Test
    void aCountTheOldQueueReportsAfterASaveIsKeptByTheNewHandlingAndItsFile() {
        try (RelayBounces bounces = new RelayBounces()) {
            BounceWatch oldQueue = bounces.reopen(this::handling, HOUR);
            oldQueue.sent(1, now);
            BounceWatch newQueue = bounces.reopen(this::handling, HOUR); // the save: the old handling saved its 1

            oldQueue.sent(2, now); // the old queue's last send returns after the save

            assertThat(newQueue.metrics(now).last24Hours().sentRecipients()).isEqualTo(3);
            assertThat(oldQueue.metrics(now).last24Hours().sentRecipients())
                    .as("the old queue's own view is not the one the page shows").isEqualTo(1);
        }
        try (BounceHandling restarted = handling()) {
            assertThat(restarted.watch().metrics(now).last24Hours().sentRecipients())
                    .as("saved when Jenkins stopped").isEqualTo(3);
        }
    }
}
