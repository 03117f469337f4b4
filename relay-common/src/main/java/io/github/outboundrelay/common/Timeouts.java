package io.github.outboundrelay.common;

import java.time.Duration;

/**
 * Bounds on every wait. Angus Mail waits forever by default; these never do.
 *
 * @param connect TCP connect (and the TLS handshake of implicit TLS)
 * @param read    each wait for a server reply
 * @param write   each write to the socket
 */
public record Timeouts(Duration connect, Duration read, Duration write) {
    static final Duration MAX = Duration.ofMinutes(10);
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30));

    public Timeouts {
        check("connectTimeout", connect);
        check("readTimeout", read);
        check("writeTimeout", write);
    }

    private static void check(String field, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new InvalidInputException(field, "must be a positive duration, was " + value,
                    "Give a value in milliseconds such as 10000; zero (wait forever) is not allowed");
        }
        if (value.compareTo(MAX) > 0) {
            throw new InvalidInputException(field, "is " + value.toMillis() + " ms, above the 10 minute limit",
                    "Use at most 600000 ms; a relay that needs longer is not answering");
        }
    }

    public int connectMillis() {
        return (int) connect.toMillis();
    }

    public int readMillis() {
        return (int) read.toMillis();
    }

    public int writeMillis() {
        return (int) write.toMillis();
    }
}
