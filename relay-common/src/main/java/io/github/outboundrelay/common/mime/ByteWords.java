package io.github.outboundrelay.common.mime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Scans of a mail's bytes eight at a time, for the loops every mail's whole body passes through: checking that a text
 * body is printable ASCII ({@link TextBody}), and finding the line ends the DATA writer turns into CRLF and
 * dot-stuffs ({@code transport.DataWriter}). Each test on a word of eight bytes is the exact
 * "has a byte with this property" test (bit-twiddling on the word, no false positives or negatives); a word that
 * has one is then looked at byte by byte. A byte at a time, these loops were the largest share of relay-common's own
 * CPU per plain mail (docs/performance.md, "Where the time goes").
 */
public final class ByteWords {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long CRS = ONES * '\r';
    private static final long LFS = ONES * '\n';
    private static final long SPACES = ONES * ' ';

    private ByteWords() {
    }

    /** The index of the first CR or LF in {@code bytes[from, end)}, or {@code end} when there is none. */
    public static int lineBreak(byte[] bytes, int from, int end) {
        int i = from;
        while (i + Long.BYTES <= end) {
            long word = (long) LONGS.get(bytes, i);
            if (hasByte(word, CRS) || hasByte(word, LFS)) {
                break;
            }
            i += Long.BYTES;
        }
        while (i < end && bytes[i] != '\r' && bytes[i] != '\n') {
            i++;
        }
        return i;
    }

    /**
     * The index of the first byte in {@code bytes[from, end)} that is not printable ASCII (space to '~') or is
     * {@code stop}, or {@code end} when there is none.
     */
    static int printableEnd(byte[] bytes, int from, int end, byte stop) {
        long stops = ONES * (stop & 0xFF);
        int i = from;
        while (i + Long.BYTES <= end) {
            long word = (long) LONGS.get(bytes, i);
            if (!isPrintable(word) || hasByte(word, stops)) {
                break;
            }
            i += Long.BYTES;
        }
        while (i < end && bytes[i] >= ' ' && bytes[i] < 0x7F && bytes[i] != stop) {
            i++;
        }
        return i;
    }

    /**
     * Whether every byte of {@code word} is printable ASCII: none below a space (subtracting 0x20 from such a byte sets
     * its high bit) and none at or above DEL (adding 1 to 0x7F sets it, and a byte of 0x80 or more has it already).
     * A borrow or carry between bytes starts only at a byte that is itself caught, so the answer is exact.
     */
    private static boolean isPrintable(long word) {
        return ((word - SPACES | word + ONES | word) & HIGH_BITS) == 0;
    }

    /** Whether {@code word} holds the byte that {@code pattern} repeats: the classic zero-byte test on their XOR. */
    private static boolean hasByte(long word, long pattern) {
        long x = word ^ pattern;
        return ((x - ONES) & ~x & HIGH_BITS) != 0;
    }
}
