package io.github.outboundrelay.common;

import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolEntryCodec;

import static io.github.outboundrelay.common.SpoolTestSupport.distinctiveLink;
import static io.github.outboundrelay.common.SpoolTestSupport.everyFile;
import static io.github.outboundrelay.common.SpoolTestSupport.filesContaining;
import static io.github.outboundrelay.common.SpoolTestSupport.resetMail;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.outboundrelay.testing.ScriptedSmtpPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack: read every byte of every file in the spool (spare and temporary files included) after the mail went
 * out, looking for the reset links it carried. Delivered mail must leave nothing to find once its batch is retired.
 */
class DeliveredMailLeavesNoTraceTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path spool;
    ScriptedSmtpPeer relay;

    @BeforeEach
    void startRelay() throws Exception {
        relay = QueueTestPeer.start();
    }

    @AfterEach
    void stopRelay() {
        relay.close();
    }

    @Test
    void afterDeliveryNoFileOfTheSpoolHoldsALinkTheMailCarried() throws Exception {
        String link = distinctiveLink();
        int mails = 40;
        try (MailQueue queue = MailQueue.builder().relay(QueueTestPeer.settings(relay)).spoolDirectory(spool)
                .shutdownTimeout(Duration.ofSeconds(10)).build()) {
            // Four submitters at once: batch files with several mails each, as under load.
            ExecutorService submitters = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = t * mails / 4;
                    done.add(submitters.submit(() -> {
                        for (int i = first; i < first + mails / 4; i++) {
                            queue.submit(resetMail(i, link + "&n=" + i));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                submitters.shutdown();
            }
            relay.awaitReceived(mails, WAIT);
        } // closing waits for the senders: every delivered mail has been given back to the spool

        assertThat(relay.received()).as("the links went out").allMatch(r -> r.data().contains(link));
        assertThat(everyFile(spool.resolve("tmp"))).as("finished batch files kept to be overwritten")
                .isNotEmpty().allMatch(p -> p.getFileName().toString().startsWith("spare-"));
        assertThat(filesContaining(spool, link)).isEmpty();
        assertThat(filesContaining(spool, "Reset your password")).isEmpty();
    }

    @Test
    void sparesLeftByAnEarlierRunAreNotKeptWithTheBodiesTheyHold() throws Exception {
        String link = distinctiveLink();
        try (FileSpool files = FileSpool.open(spool)) {
            files.recover(Spool.QuarantineListener.NONE);
        }
        // What a version before this fix (or a crash before a spare was zeroed on disk) left behind.
        Files.write(spool.resolve("tmp").resolve("spare-0190f3c2a1b4-3f9a2c1d000001.tmp"),
                SpoolEntryCodec.encodeBody(resetMail(1, link)));

        try (FileSpool files = FileSpool.open(spool)) {
            files.recover(Spool.QuarantineListener.NONE);
            assertThat(filesContaining(spool, link)).isEmpty();
        }
    }
}
