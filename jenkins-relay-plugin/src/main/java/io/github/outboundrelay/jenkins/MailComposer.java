package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns what a job gives (a recipient list as typed, a body and its MIME type) into a validated message. */
final class MailComposer {
    private MailComposer() {
    }

    /** {@code "a@example.com, Bob <b@example.com>; c@example.com"}: commas, semicolons or line breaks separate. */
    static List<MailAddress> recipients(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(field, "has no recipient", "Give at least one address, such as team@example.com");
        }
        String[] parts = text.split("[,;\\r\\n]+");
        return Arrays.stream(parts).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> MailAddress.parse(s, field)).toList();
    }

    /**
     * @param from           the job's own From, or blank for the page's
     * @param configuredFrom the page's From address: the relay settings put it on mail without a From at send time,
     *                       and the Message-ID takes its domain now (never the build machine's host name)
     * @param headers        extra headers, such as the job's {@link JobOrigin}
     */
    static OutboundMessage compose(String to, String subject, String body, String mimeType, String from, String configuredFrom,
                                   Map<String, String> headers) {
        OutboundMessage.Builder b = OutboundMessage.builder().subject(subject == null ? "" : subject);
        headers.forEach(b::header);
        recipients(to, "to").forEach(b::to);
        if (from != null && !from.isBlank()) {
            b.from(MailAddress.parse(from, "from"));
        } else if (configuredFrom != null && !configuredFrom.isBlank()) {
            b.messageId(OutboundMessage.newMessageId(MailAddress.parse(configuredFrom, "fromAddress")));
        }
        String type = mimeType == null || mimeType.isBlank() ? "text/plain" : mimeType.trim().toLowerCase(Locale.ROOT);
        switch (type) {
            case "text/plain" -> b.text(body == null ? "" : body);
            case "text/html" -> b.html(body == null ? "" : body);
            default -> throw new InvalidInputException("mimeType", "'" + mimeType + "' is not supported", "Use text/plain or text/html");
        }
        return b.build();
    }
}
