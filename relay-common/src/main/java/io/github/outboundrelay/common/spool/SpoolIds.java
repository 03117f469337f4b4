package io.github.outboundrelay.common.spool;

import io.github.outboundrelay.common.InvalidInputException;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Spool ids, which sort by submission time and are unique across processes sharing nothing but the directory:
 * {@code 12 hex digits of epoch millis - 8 hex digits of a random nonce, 6 of a counter}. Batch files are named the
 * same way.
 */
final class SpoolIds {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{12}-[0-9a-f]{14}");
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final int nonce = new SecureRandom().nextInt();
    private final AtomicLong counter = new AtomicLong();

    String next(long millis) {
        long n = counter.getAndIncrement();
        char[] c = new char[27];
        hex(c, 0, millis, 12);
        c[12] = '-';
        hex(c, 13, nonce & 0xFFFFFFFFL, 8);
        hex(c, 21, n & 0xFFFFFF, 6);
        return new String(c);
    }

    static boolean isId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** Refuses what a person typed or pasted when it is not an id, before it becomes part of a path. */
    static void check(String id) {
        if (!isId(id)) {
            throw new InvalidInputException("deadLetterId", "'" + id + "' is not a spool id",
                    "Copy the id from the dead-letter list, such as 0190f3c2a1b4-3f9a2c1d000001");
        }
    }

    private static void hex(char[] out, int at, long value, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
