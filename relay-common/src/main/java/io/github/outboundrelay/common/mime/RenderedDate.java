package io.github.outboundrelay.common.mime;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The Date header's value (RFC 5322 date-time, UTC), formatted once per second: mails rendered in the same second
 * share it, and formatting costs more than the rest of the headers together (a new ZoneRules per call among it).
 *
 * @param epochSecond the second the text stands for
 * @param text        that second as the Date header writes it
 */
record RenderedDate(long epochSecond, String text) {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH).withZone(ZoneOffset.UTC);
    /** The last second formatted; a record, so a thread reads its second and text together. */
    private static volatile RenderedDate last = new RenderedDate(Long.MIN_VALUE, "");

    static String of(Instant date) {
        RenderedDate cached = last;
        if (cached.epochSecond == date.getEpochSecond()) {
            return cached.text;
        }
        RenderedDate formatted = new RenderedDate(date.getEpochSecond(), DATE.format(date));
        last = formatted;
        return formatted.text;
    }
}
