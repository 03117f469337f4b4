package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.OutboundMessage;

import static io.github.outboundrelay.common.SpoolTestSupport.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecentEntriesTest {
    static final Instant T0 = Instant.parse("2026-12-03T08:00:00Z");

    static Spool.Entry entry(String id, int renderedBytes) {
        return new Spool.Entry(id, mail(1), 0, T0, T0, "", new byte[renderedBytes]);
    }

    @Test
    void anEntryWeighsItsRenderedBytesAndItsMessageContent() {
        OutboundMessage m = OutboundMessage.builder().to("a@example.com").subject("Grüße").text("0123456789")
                .html("<p>x</p>").header("X-Job", "app").build();
        long content = "Grüße".getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 10 + 8 + "X-Job".length() + 3;

        assertThat(RecentEntries.weightOf(new Spool.Entry("a", m, 0, T0, T0, "", new byte[1000]))).isEqualTo(1000 + content);
        assertThat(RecentEntries.weightOf(new Spool.Entry("a", m, 0, T0, T0, "", null))).isEqualTo(content);
    }

    @Test
    void aFullHandoffByCountKeepsWhatItHoldsAndRefusesTheNewcomerUntilATakeMakesRoom() {
        RecentEntries recent = new RecentEntries(2, 1 << 20);

        assertThat(recent.put(entry("a", 100))).isTrue();
        assertThat(recent.put(entry("b", 100))).isTrue();
        assertThat(recent.put(entry("c", 100))).as("the third of two").isFalse();

        assertThat(recent.take("c")).isNull();
        assertThat(recent.take("a")).isNotNull().extracting(Spool.Entry::id).isEqualTo("a");
        assertThat(recent.take("a")).as("taken once").isNull();
        assertThat(recent.put(entry("d", 100))).as("room again").isTrue();
        assertThat(recent.size()).isEqualTo(2);
        assertThat(recent.counts()).containsExactly(1, 2);
    }

    @Test
    void aFullHandoffByBytesRefusesWhatWouldPassTheBoundAndNeverHoldsAnEntryHeavierThanTheBound() {
        long small = RecentEntries.weightOf(entry("x", 400));
        long tiny = RecentEntries.weightOf(entry("tiny", 0));
        RecentEntries recent = new RecentEntries(256, 2 * small + tiny);

        assertThat(recent.put(entry("huge", (int) (3 * small)))).as("heavier than the bound alone").isFalse();
        assertThat(recent.put(entry("a", 400))).isTrue();
        assertThat(recent.put(entry("b", 400))).isTrue();
        assertThat(recent.bytes()).isEqualTo(2 * small);
        assertThat(recent.put(entry("c", 400))).as("would pass the bytes").isFalse();
        assertThat(recent.put(entry("tiny", 0))).as("what still fits is kept").isTrue();

        recent.remove("a");
        recent.remove("a");
        recent.take("b");
        assertThat(recent.size()).isEqualTo(1);
        assertThat(recent.bytes()).isEqualTo(tiny);
        recent.clear();
        assertThat(recent.size()).isZero();
        assertThat(recent.bytes()).isZero();
    }

    @Test
    void anEntryStoredAgainUnderItsIdReplacesTheOldOneAndItsWeight() {
        RecentEntries recent = new RecentEntries(1, 1 << 20);
        recent.put(entry("a", 100));

        assertThat(recent.put(entry("a", 300))).as("the same id does not count twice").isTrue();

        assertThat(recent.size()).isEqualTo(1);
        assertThat(recent.bytes()).isEqualTo(RecentEntries.weightOf(entry("a", 300)));
        assertThat(recent.take("a").rendered()).hasSize(300);
    }

    @Test
    void aHandoffOfNoEntriesKeepsNothingAndNegativeBoundsAreRefused() {
        RecentEntries none = new RecentEntries(0, 1 << 20);
        assertThat(none.put(entry("a", 1))).isFalse();
        assertThat(none.take("a")).isNull();
        assertThatThrownBy(() -> new RecentEntries(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
