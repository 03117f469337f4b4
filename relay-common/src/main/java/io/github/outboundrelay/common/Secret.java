package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.Redaction;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A password, client secret or token that must never reach a log, a transcript or a {@code toString()}.
 *
 * <pre>{@code
 * Secret password = Secret.of(System.getenv("RELAY_PASSWORD"));
 * }</pre>
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The plain value, for the one place that hands it to the relay or the token endpoint. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        // Constant time, so that comparing a changed form value leaks nothing through timing.
        return other instanceof Secret that
                && MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), that.value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return 0; // Deliberately uninformative.
    }

    @Override
    public String toString() {
        return Redaction.REDACTED;
    }
}
