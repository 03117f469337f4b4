package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryLogTest {

    static DeliveryEvent event(DeliveryEvent.Outcome outcome, String messageId) {
        return new DeliveryEvent(Instant.now(), outcome, messageId, "relay.example.com:587", List.of("a***@example.com"),
                outcome == DeliveryEvent.Outcome.SENT ? null : FailureCategory.CONNECT_REFUSED, "", 1, 5, "");
    }

    @Test
    void keepsTheMostRecentEventsOldestFirst() {
        DeliveryLog log = new DeliveryLog(2);
        log.record(event(DeliveryEvent.Outcome.FAILED, "<1@x>"));
        log.record(event(DeliveryEvent.Outcome.DEFERRED, "<2@x>"));
        log.record(event(DeliveryEvent.Outcome.SENT, "<3@x>"));
        assertThat(log.recent()).extracting(DeliveryEvent::messageId).containsExactly("<2@x>", "<3@x>");
    }

    @Test
    void theListenerHearsEveryRecordedEventAndCannotBreakRecording() {
        List<DeliveryEvent> heard = new ArrayList<>();
        DeliveryLog log = new DeliveryLog(10, e -> {
            heard.add(e);
            throw new IllegalStateException("a broken listener");
        });
        log.record(event(DeliveryEvent.Outcome.FAILED, "<1@x>"));
        log.record(event(DeliveryEvent.Outcome.SENT, "<2@x>"));
        assertThat(heard).extracting(DeliveryEvent::messageId).containsExactly("<1@x>", "<2@x>");
        assertThat(log.recent()).hasSize(2);
    }
}
