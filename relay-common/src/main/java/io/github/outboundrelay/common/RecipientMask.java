package io.github.outboundrelay.common;

import io.github.outboundrelay.common.redaction.Redaction;

/**
 * Masks addresses for logs and admin pages: {@code alice@example.com} becomes {@code a***@example.com}. The API face
 * of relay-common's one redaction rule ({@code common.redaction.Redaction}); adapters use this, never their own.
 *
 * <pre>{@code
 * log.warn(RecipientMask.asConfigured(settings, exception.getMessage()));
 * }</pre>
 */
public final class RecipientMask {
    private RecipientMask() {
    }

    public static String mask(String address) {
        return Redaction.maskAddress(address);
    }

    /** Masks every address inside free text such as a server reply ("550 5.1.1 <bob@x.org>: unknown user"). */
    public static String maskWithin(String text) {
        return Redaction.maskAddressesWithin(text);
    }

    /** {@code text} as {@code settings} allow it to be shown: its addresses masked unless masking is turned off. */
    public static String asConfigured(RelaySettings settings, String text) {
        return Redaction.text(text, settings.maskRecipients());
    }
}
