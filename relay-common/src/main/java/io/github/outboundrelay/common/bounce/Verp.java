package io.github.outboundrelay.common.bounce;

import java.util.Locale;
import java.util.Optional;

/**
 * Variable envelope return paths: the envelope sender of a mail to one recipient names that recipient,
 * {@code bounces+ghost=example.org@mailbox.test} for {@code ghost@example.org} sent from {@code bounces@mailbox.test},
 * so that a report returned to it is about that recipient whatever the report says (a forwarded address in
 * Final-Recipient, a report that names nobody). The form is Postfix's and qmail's ({@code +} before the recipient,
 * {@code =} for its {@code @}); the mailbox must accept {@code local+anything} (Postfix's
 * {@code recipient_delimiter = +}, Microsoft 365 and Google plus addressing).
 */
public final class Verp {
    /** RFC 5321 section 4.5.3.1.1: a relay may refuse a longer local part, so such a recipient keeps the plain sender. */
    static final int MAX_LOCAL_PART = 64;

    private Verp() {
    }

    /**
     * The envelope sender for a mail to {@code recipient} alone; {@code sender} itself when the result would not be
     * a valid address (a local part over {@value #MAX_LOCAL_PART} octets, or a recipient with no domain).
     */
    public static String encode(String sender, String recipient) {
        int at = sender.lastIndexOf('@');
        int recipientAt = recipient.lastIndexOf('@');
        if (at < 1 || recipientAt < 1 || recipientAt == recipient.length() - 1) {
            return sender;
        }
        String local = sender.substring(0, at) + "+" + recipient.substring(0, recipientAt) + "="
                + recipient.substring(recipientAt + 1);
        if (local.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_LOCAL_PART || local.indexOf('"') >= 0) {
            return sender;
        }
        return local + sender.substring(at);
    }

    /**
     * The recipient an address made by {@link #encode} names, when {@code address} is {@code sender}'s VERP form
     * (sender's local part and domain in any case); empty for any other address, including {@code sender} itself.
     */
    public static Optional<String> decode(String sender, String address) {
        int at = sender.lastIndexOf('@');
        int addressAt = address.lastIndexOf('@');
        if (at < 1 || addressAt < 1) {
            return Optional.empty();
        }
        String prefix = sender.substring(0, at).toLowerCase(Locale.ROOT) + "+";
        String local = address.substring(0, addressAt);
        if (!address.substring(addressAt).equalsIgnoreCase(sender.substring(at))
                || !local.toLowerCase(Locale.ROOT).startsWith(prefix)) {
            return Optional.empty();
        }
        String tagged = local.substring(prefix.length());
        int equals = tagged.lastIndexOf('='); // A domain holds no '=', a local part may.
        if (equals < 1 || equals == tagged.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(tagged.substring(0, equals) + "@" + tagged.substring(equals + 1));
    }
}
