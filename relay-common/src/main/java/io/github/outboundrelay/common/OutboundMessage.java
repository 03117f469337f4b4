package io.github.outboundrelay.common;

import io.github.outboundrelay.common.transport.LocalHostName;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One mail to relay, validated when built: addresses parsed, no line break in any header, at least one recipient
 * and one body. Its Message-ID is fixed here, so a retried message keeps it.
 *
 * <pre>{@code
 * OutboundMessage message = OutboundMessage.builder()
 *         .to("alice@example.com")
 *         .subject("Build #42 failed")
 *         .text("See https://ci.example.com/job/app/42/")
 *         .build();
 * }</pre>
 *
 * @param messageId the Message-ID header, angle brackets included
 * @param from      the From, or null for the relay settings' default
 * @param replyTo   the Reply-To, or null for the relay settings' default
 * @param headers   extra headers, in order; never one the message sets itself (From, Subject, Content-Type...)
 */
public record OutboundMessage(
        String messageId,
        MailAddress from,
        List<MailAddress> to,
        List<MailAddress> cc,
        List<MailAddress> bcc,
        MailAddress replyTo,
        String subject,
        String text,
        String html,
        Map<String, String> headers) {

    private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]{1,76}");
    private static final Pattern MESSAGE_ID = Pattern.compile("<[^<>\\s@]+@[^<>\\s@]+>");
    /** Headers the message writes itself: letting callers set them would let them forge or break the message. */
    private static final Set<String> MANAGED_HEADERS = Set.of("from", "to", "cc", "bcc", "reply-to", "subject",
            "message-id", "date", "mime-version", "content-type", "content-transfer-encoding", "sender", "return-path");

    public OutboundMessage {
        to = List.copyOf(to);
        cc = List.copyOf(cc);
        bcc = List.copyOf(bcc);
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        if (messageId == null || !MESSAGE_ID.matcher(messageId).matches()) {
            throw new InvalidInputException("messageId", "'" + messageId + "' is not a Message-ID",
                    "Use the form <unique@domain>, or leave it out to have one generated");
        }
        if (to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
            throw new InvalidInputException("to", "has no recipient", "Add at least one recipient address");
        }
        if (subject == null) {
            throw new InvalidInputException("subject", "is missing", "Give a subject; an empty one is allowed");
        }
        MailAddress.rejectControlCharacters(subject, "subject");
        if (text == null && html == null) {
            throw new InvalidInputException("body", "is missing", "Give a text body, an HTML body or both");
        }
        headers.forEach((name, value) -> {
            if (name == null || !HEADER_NAME.matcher(name).matches()) {
                throw new InvalidInputException("headers", "'" + name + "' is not a header name",
                        "Use printable ASCII without spaces or colons, such as X-Jenkins-Job");
            }
            if (MANAGED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new InvalidInputException("headers." + name, "is set by the message itself",
                        "Use the builder's " + name.toLowerCase(Locale.ROOT) + " field instead of an extra header");
            }
            if (value == null) {
                throw new InvalidInputException("headers." + name, "has no value", "Give a value or leave the header out");
            }
            MailAddress.rejectControlCharacters(value, "headers." + name);
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every envelope recipient: to, cc and bcc. */
    public List<MailAddress> recipients() {
        List<MailAddress> all = new ArrayList<>(to.size() + cc.size() + bcc.size());
        all.addAll(to);
        all.addAll(cc);
        all.addAll(bcc);
        return all;
    }

    /**
     * The size this message counts against {@link RelaySettings#maxMessageBytes()}: its subject, extra headers, text
     * and HTML in UTF-8 bytes, before MIME encoding (which adds up to a third for non-ASCII text).
     */
    public long contentBytes() {
        long size = utf8Length(subject) + utf8Length(text) + utf8Length(html);
        for (Map.Entry<String, String> header : headers.entrySet()) {
            size += utf8Length(header.getKey()) + utf8Length(header.getValue());
        }
        return size;
    }

    /**
     * At least {@link #contentBytes()}, known without reading the text: UTF-8 takes three bytes at most for one
     * UTF-16 character (four for a surrogate pair of two). {@code RelaySettings.checkSize} counts the bytes only when
     * this is above the limit, so the usual mail, far below it, is not read once more on every send.
     */
    long contentBytesAtMost() {
        long chars = length(subject) + length(text) + length(html);
        if (!headers.isEmpty()) { // most mail has no extra header: no iterator made for nothing
            for (Map.Entry<String, String> header : headers.entrySet()) {
                chars += length(header.getKey()) + length(header.getValue());
            }
        }
        return 3 * chars;
    }

    private static long length(String s) {
        return s == null ? 0 : s.length();
    }

    /** Counted without encoding: a body of many megabytes is not copied to be measured. */
    private static long utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        long length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                length += 4;
                i++;
            } else {
                length += 3;
            }
        }
        return length;
    }

    /** Whether any address of this message needs the relay's SMTPUTF8 extension. */
    public boolean needsUtf8() {
        // Without recipients(): this is asked on every send, and that list is a copy.
        return (from != null && from.needsUtf8()) || anyNeedsUtf8(to) || anyNeedsUtf8(cc) || anyNeedsUtf8(bcc);
    }

    private static boolean anyNeedsUtf8(List<MailAddress> addresses) {
        for (MailAddress address : addresses) {
            if (address.needsUtf8()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A new Message-ID at the sender's domain, or at this host's name (as jakarta.mail itself would use) when there
     * is no usable sender. For mail whose From the relay settings fill in later, pass that From: a Message-ID at
     * {@code localhost.localdomain} marks mail as sent by a misconfigured host.
     */
    public static String newMessageId(MailAddress sender) {
        String domain = sender == null ? "" : sender.domain();
        boolean usable = !domain.isEmpty() && domain.indexOf('[') < 0 && MailAddress.isAscii(domain);
        return "<" + UUID.randomUUID() + "@" + (usable ? domain : LocalHostName.messageIdDomain()) + ">";
    }

    @Override
    public String toString() {
        // Never the body or subject: a reset link must not reach a log through toString().
        return "OutboundMessage[" + messageId + ", " + recipients().size() + " recipient(s)]";
    }

    public static final class Builder {
        private String messageId;
        private MailAddress from;
        private final List<MailAddress> to = new ArrayList<>();
        private final List<MailAddress> cc = new ArrayList<>();
        private final List<MailAddress> bcc = new ArrayList<>();
        private MailAddress replyTo;
        private String subject;
        private String text;
        private String html;
        private final Map<String, String> headers = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder messageId(String messageId) {
            this.messageId = messageId;
            return this;
        }

        public Builder from(MailAddress from) {
            this.from = from;
            return this;
        }

        public Builder from(String from) {
            return from(MailAddress.parse(from, "from"));
        }

        public Builder to(MailAddress address) {
            to.add(address);
            return this;
        }

        /** Each argument is one address; it is parsed at once and an error names {@code to[i]}. */
        public Builder to(String... addresses) {
            for (String a : addresses) {
                to.add(MailAddress.parse(a, "to[" + to.size() + "]"));
            }
            return this;
        }

        public Builder cc(String... addresses) {
            for (String a : addresses) {
                cc.add(MailAddress.parse(a, "cc[" + cc.size() + "]"));
            }
            return this;
        }

        public Builder bcc(String... addresses) {
            for (String a : addresses) {
                bcc.add(MailAddress.parse(a, "bcc[" + bcc.size() + "]"));
            }
            return this;
        }

        public Builder replyTo(MailAddress replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder replyTo(String replyTo) {
            return replyTo(MailAddress.parse(replyTo, "replyTo"));
        }

        public Builder subject(String subject) {
            this.subject = subject;
            return this;
        }

        public Builder text(String text) {
            this.text = text;
            return this;
        }

        public Builder html(String html) {
            this.html = html;
            return this;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** @throws InvalidInputException naming the field that cannot be sent, and how to fix it */
        public OutboundMessage build() {
            String id = messageId != null ? messageId : newMessageId(from);
            return new OutboundMessage(id, from, to, cc, bcc, replyTo, subject, text, html, headers);
        }
    }
}
