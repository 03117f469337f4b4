package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.queue.GroupCommit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The spool's memory, without a file: what is due, which copy is current, when a batch file has nothing left. */
class SpoolIndexTest {
    final SpoolIndex index = new SpoolIndex(Path.of("/var/spool/relay"), 3, 10_000);

    @Test
    void mailIsClaimedSoonestFirstOnlyWhenDueAndOnlyOnce() {
        index.created("batch1", 1);
        index.created("batch2", 1);
        index.reserve(100);
        index.add("b", 0, 2_000, 100, new GroupCommit.Location("batch1", 13, 100, 1));
        index.reserve(100);
        index.add("a", 0, 1_000, 100, new GroupCommit.Location("batch2", 13, 100, 1));

        assertThat(index.claimDue(999, 10)).isEmpty();
        assertThat(index.nextDue()).contains(Instant.ofEpochMilli(1_000));
        assertThat(index.claimDue(5_000, 10)).extracting(SpoolIndex.Copy::id).containsExactly("a", "b");
        assertThat(index.claimDue(5_000, 10)).as("claimed mail is not claimed again").isEmpty();
        assertThat(index.depth(0).queued()).isEqualTo(2);
    }

    @Test
    void aBatchIsRetiredWithItsLastLiveEntryNotBefore() {
        GroupCommit.Location first = new GroupCommit.Location("batch1", 13, 100, 2);
        GroupCommit.Location second = new GroupCommit.Location("batch1", 118, 100, 2);
        index.created("batch1", 2);
        index.reserve(100);
        index.add("a", 0, 0, 100, first);

        SpoolIndex.Retirement a = index.remove("a");
        assertThat(a.empty()).as("the batch's other writer has not registered yet: its entry is live").isFalse();
        assertThat(a.offset()).isEqualTo(13);

        index.reserve(100);
        index.add("b", 0, 0, 100, second);
        SpoolIndex.Retirement b = index.remove("b");
        assertThat(b.empty()).isTrue();
        assertThat(b.batch()).isSameAs(a.batch());
        assertThat(index.remove("b")).as("a mail removed twice").isNull();
    }

    @Test
    void aRetryMovesTheMailToItsNewCopyAndLetsGoOfTheOld() {
        index.created("batch1", 1);
        index.created("batch2", 1);
        index.reserve(100);
        index.add("a", 0, 0, 100, new GroupCommit.Location("batch1", 13, 100, 1));
        SpoolIndex.Copy read = index.claimDue(0, 1).get(0);

        SpoolIndex.Retirement old = index.deferred(read, new GroupCommit.Location("batch2", 13, 120, 1), 120, 30_000, 1);

        assertThat(old.batch().name).isEqualTo("batch1");
        assertThat(old.empty()).isTrue();
        SpoolIndex.Copy now = index.copyOf("a");
        assertThat(now.batch()).isEqualTo("batch2");
        assertThat(now.size()).isEqualTo(120);
        assertThat(index.claimDue(29_999, 1)).isEmpty();
        assertThat(index.claimDue(30_000, 1)).extracting(SpoolIndex.Copy::id).containsExactly("a");
    }

    @Test
    void aRetryThatCouldNotBeWrittenKeepsTheOldCopy() {
        index.created("batch1", 1);
        index.reserve(100);
        index.add("a", 0, 0, 100, new GroupCommit.Location("batch1", 13, 100, 1));
        SpoolIndex.Copy read = index.claimDue(0, 1).get(0);

        assertThat(index.deferred(read, null, 100, 30_000, 1)).isNull();
        assertThat(index.copyOf("a").batch()).isEqualTo("batch1");
        assertThat(index.nextDue()).contains(Instant.ofEpochMilli(30_000));
    }

    @Test
    void aSegmentCountsEachAppendedGroupBeforeItsCallersRegisterAndIsNotGrownOnceRetired() {
        index.created("segment", 1);
        index.reserve(100);
        index.add("a", 0, 0, 100, new GroupCommit.Location("segment", 16, 100, 1));
        assertThat(index.grow("segment", 2)).as("a group appended while a is queued").isTrue();

        assertThat(index.remove("a").empty()).as("the appended group is still to register").isFalse();
        index.reserve(100);
        index.add("b", 0, 0, 100, new GroupCommit.Location("segment", 137, 100, 2));
        assertThat(index.shrink("segment", 1)).as("the group's other entry could not be written").isNull();
        SpoolIndex.Retirement last = index.remove("b");
        assertThat(last.empty()).isTrue();

        assertThat(index.grow("segment", 1)).as("a retired segment takes no more appends").isFalse();
        index.created("other", 1);
        assertThat(index.grow("other", 1)).isTrue();
        assertThat(index.shrink("other", 2)).as("an append that failed on a segment whose mails went")
                .satisfies(r -> assertThat(r.empty()).isTrue());
        assertThat(index.grow("other", 1)).isFalse();
    }

    @Test
    void theLimitsRefuseBeforeAnythingIsWrittenNamingTheSpool() {
        index.reserve(100);
        index.reserve(100);
        index.reserve(100);
        assertThatThrownBy(() -> index.reserve(100)).isInstanceOf(SpoolException.class)
                .hasMessageContaining("/var/spool/relay").hasMessageContaining("is full: it holds 3 mails");
        index.unreserve(100);
        assertThatThrownBy(() -> index.reserve(9_801)).isInstanceOf(SpoolException.class)
                .hasMessageContaining("200 of its 10000 bytes");
    }
}
