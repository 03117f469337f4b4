package io.github.outboundrelay.common.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The eight-bytes-a-step scans answer what a byte-by-byte loop answers: every byte value at every position of
 * arrays longer and shorter than a word, and random arrays of bytes near the edges the word tests turn on.
 */
class ByteWordsTest {

    @Test
    void everyByteValueAtEveryPositionIsFoundAsALoopFindsIt() {
        for (int length = 0; length <= 19; length++) {
            for (int at = 0; at < length; at++) {
                for (int value = 0; value < 256; value++) {
                    byte[] bytes = new byte[length];
                    Arrays.fill(bytes, (byte) 'a');
                    bytes[at] = (byte) value;
                    assertSameAsLoops(bytes, "byte " + value + " at " + at + " of " + length);
                }
            }
        }
    }

    @Test
    void bytesNearTheEdgesOfTheWordTestsAreFoundAsALoopFindsThem() {
        // Around space, '?', DEL, the high bit, CR and LF: where a borrow or carry between bytes could mislead.
        byte[] edges = {0x00, 0x01, '\t', '\n', 0x0B, '\r', 0x1F, ' ', '!', '>', '?', '@', 0x7E, 0x7F, (byte) 0x80,
                (byte) 0x9F, (byte) 0xA0, (byte) 0xDF, (byte) 0xE0, (byte) 0xFE, (byte) 0xFF, 'a', 'a', 'a', 'a'};
        Random random = new Random(8);
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int j = 0; j < bytes.length; j++) {
                bytes[j] = edges[random.nextInt(edges.length)];
            }
            assertSameAsLoops(bytes, Arrays.toString(bytes));
        }
    }

    private static void assertSameAsLoops(byte[] bytes, String what) {
        for (int from = 0; from <= bytes.length; from++) {
            assertThat(ByteWords.lineBreak(bytes, from, bytes.length)).as("lineBreak from " + from + ", " + what)
                    .isEqualTo(lineBreakLoop(bytes, from));
            assertThat(ByteWords.printableEnd(bytes, from, bytes.length, (byte) '?'))
                    .as("printableEnd from " + from + ", " + what).isEqualTo(printableEndLoop(bytes, from));
        }
    }

    private static int lineBreakLoop(byte[] bytes, int from) {
        int i = from;
        while (i < bytes.length && bytes[i] != '\r' && bytes[i] != '\n') {
            i++;
        }
        return i;
    }

    private static int printableEndLoop(byte[] bytes, int from) {
        int i = from;
        while (i < bytes.length && bytes[i] >= 0x20 && bytes[i] <= 0x7E && bytes[i] != '?') {
            i++;
        }
        return i;
    }
}
