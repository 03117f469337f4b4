package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.BounceKind;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.ParseException;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one mail from the bounce mailbox into reports: a {@code multipart/report} with a
 * {@code message/delivery-status} part (RFC 3464) gives one report per failed or delayed recipient, one with a
 * {@code message/feedback-report} part (RFC 5965) gives a complaint. Anything else, or a report missing what it
 * must hold, gives a single {@link BounceKind#UNKNOWN} report saying why: it is never guessed at (a mail that only
 * looks like a bounce must not suppress anybody).
 *
 * <p>The report parts are read as header blocks straight from the MIME structure, not through jakarta.mail's
 * content handlers, so that a vendor's slightly wrong part (Microsoft's blank lines, a missing charset) still
 * parses. Vendor variants are covered by the fixtures under src/test/resources/bounces.
 */
public final class BounceReportParser {
    /** An enhanced status code (RFC 3463) at the start of a Status field or inside a diagnostic. */
    private static final Pattern STATUS = Pattern.compile("\\b([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b");
    private static final Session SESSION = Session.getInstance(new Properties());
    /** A mailbox larger than this is not a bounce we need; reading it whole would only cost memory. */
    static final int MAX_BYTES = 10 * 1024 * 1024;

    private BounceReportParser() {
    }

    /** Parses one raw RFC 5322 message. Never throws; the list is never empty. */
    public static List<BounceReport> parse(byte[] raw) {
        return parse(raw, null);
    }

    /**
     * As {@link #parse(byte[])}; when the report was returned to {@code verpSender}'s VERP form ({@link Verp}), every
     * report in it is about the recipient that address names, whatever the report itself says.
     *
     * @param verpSender the plain envelope sender VERP addresses are made from, or null when VERP is off
     */
    public static List<BounceReport> parse(byte[] raw, String verpSender) {
        if (raw.length > MAX_BYTES) {
            return List.of(BounceReport.unknown("larger than " + MAX_BYTES + " bytes: not read", "", ""));
        }
        try {
            MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(raw));
            List<BounceReport> reports = parse(message);
            Optional<String> recipient = verpSender == null ? Optional.empty() : verpRecipient(message, verpSender);
            return recipient.map(r -> reports.stream().map(report -> report.about(r)).toList()).orElse(reports);
        } catch (MessagingException | IOException | RuntimeException e) {
            // A broken MIME structure is a malformed report: counted and left alone, never an exception for the poll.
            return List.of(BounceReport.unknown("not a readable MIME message: " + e.getMessage(), "", ""));
        }
    }

    /** The recipient named by the VERP address the report was delivered to, from the headers the mailbox adds. */
    private static Optional<String> verpRecipient(MimeMessage message, String verpSender) throws MessagingException {
        for (String header : List.of("Delivered-To", "X-Original-To", "Envelope-To", "To")) {
            String[] values = message.getHeader(header);
            for (String value : values == null ? new String[0] : values) {
                for (String address : addresses(value)) {
                    Optional<String> recipient = Verp.decode(verpSender, address);
                    if (recipient.isPresent()) {
                        return recipient;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static List<String> addresses(String headerValue) {
        try {
            return Arrays.stream(InternetAddress.parseHeader(headerValue, false)).map(InternetAddress::getAddress).toList();
        } catch (AddressException e) {
            return List.of(address(headerValue));
        }
    }

    static List<BounceReport> parse(MimeMessage message) throws MessagingException, IOException {
        ContentType type = contentType(message.getContentType());
        if (type == null || !type.match("multipart/report")) {
            return List.of(BounceReport.unknown("not a multipart/report (" + (type == null ? "no content type"
                    : type.getBaseType()) + ")", "", ""));
        }
        MimeMultipart multipart;
        try (InputStream body = message.getRawInputStream()) {
            multipart = new MimeMultipart(new ByteArrayDataSource(body, message.getContentType()));
        }
        Parts parts = Parts.of(multipart);
        String reportType = String.valueOf(type.getParameter("report-type")).toLowerCase(Locale.ROOT);
        if (parts.feedback != null || reportType.equals("feedback-report")) {
            return List.of(complaint(parts));
        }
        if (parts.deliveryStatus != null || reportType.equals("delivery-status")) {
            return deliveryStatus(parts);
        }
        return List.of(BounceReport.unknown("a multipart/report of type " + reportType + " holds no delivery status",
                parts.originalMessageId(), ""));
    }

    private static List<BounceReport> deliveryStatus(Parts parts) throws MessagingException, IOException {
        if (parts.deliveryStatus == null) {
            return List.of(BounceReport.unknown("report-type=delivery-status without a message/delivery-status part",
                    parts.originalMessageId(), ""));
        }
        List<InternetHeaders> blocks = headerBlocks(parts.deliveryStatus);
        if (blocks.isEmpty()) {
            return List.of(BounceReport.unknown("an empty delivery-status part", parts.originalMessageId(), ""));
        }
        String originalId = parts.originalMessageId();
        String reportingMta = "";
        List<BounceReport> reports = new ArrayList<>();
        for (InternetHeaders block : blocks) {
            if (block.getHeader("Reporting-MTA") != null && reportingMta.isEmpty()) {
                reportingMta = typedValue(first(block, "Reporting-MTA"));
            }
            String recipient = address(typedValue(first(block, "Final-Recipient")));
            if (recipient.isEmpty()) {
                recipient = address(typedValue(first(block, "Original-Recipient")));
            }
            String action = first(block, "Action").toLowerCase(Locale.ROOT).strip();
            if (recipient.isEmpty() && action.isEmpty()) {
                continue; // The per-message block, or a vendor's stray block: no recipient in it.
            }
            reports.add(recipientReport(recipient, action, first(block, "Status"), typedValue(first(block, "Diagnostic-Code")),
                    originalId, reportingMta));
        }
        if (reports.isEmpty()) {
            return List.of(BounceReport.unknown("a delivery-status part with no recipient", originalId, reportingMta));
        }
        return reports;
    }

    private static BounceReport recipientReport(String recipient, String action, String statusField, String diagnostic,
                                                String originalId, String reportingMta) {
        Matcher status = STATUS.matcher(statusField);
        if (!status.find()) {
            // Exchange has written Status: 5.0.0 with the real code only in the diagnostic; take that when it has one.
            status = STATUS.matcher(diagnostic);
            if (!status.find()) {
                return BounceReport.unknown("no status code for a recipient (Status: '" + statusField + "')", originalId, reportingMta);
            }
        }
        String code = status.group();
        if (recipient.isEmpty()) {
            return BounceReport.unknown("a " + code + " report that names no recipient", originalId, reportingMta);
        }
        BounceKind kind = kindOf(action, status.group(1), status.group(2), status.group(3));
        if (kind == null) {
            return new BounceReport(BounceKind.UNKNOWN, recipient, code, "action '" + action + "' is not a failure",
                    originalId, reportingMta);
        }
        return new BounceReport(kind, recipient, code, diagnostic, originalId, reportingMta);
    }

    /**
     * The kind of one recipient's outcome; null when the action says it was not a failure (delivered, relayed,
     * expanded: a success notification someone asked for).
     */
    static BounceKind kindOf(String action, String statusClass, String subject, String detail) {
        switch (action) {
            case "delivered", "relayed", "expanded" -> {
                return null;
            }
            case "delayed" -> {
                return BounceKind.SOFT;
            }
            default -> { } // "failed", or missing: the status code decides.
        }
        if (statusClass.equals("2")) {
            return null;
        }
        if (statusClass.equals("4")) {
            return BounceKind.SOFT;
        }
        // X.2.2 "mailbox full" is permanent by the letter of RFC 3463 but clears when the owner deletes mail; Amazon
        // SES and the other large senders count it as transient, and so does this list.
        if (subject.equals("2") && detail.equals("2")) {
            return BounceKind.SOFT;
        }
        return BounceKind.HARD;
    }

    private static BounceReport complaint(Parts parts) throws MessagingException, IOException {
        if (parts.feedback == null) {
            return BounceReport.unknown("report-type=feedback-report without a message/feedback-report part",
                    parts.originalMessageId(), "");
        }
        List<InternetHeaders> blocks = headerBlocks(parts.feedback);
        if (blocks.isEmpty()) {
            return BounceReport.unknown("an empty feedback-report part", parts.originalMessageId(), "");
        }
        InternetHeaders fields = blocks.get(0);
        String feedbackType = first(fields, "Feedback-Type").strip().toLowerCase(Locale.ROOT);
        String reportingMta = typedValue(first(fields, "Reporting-MTA"));
        String originalId = parts.originalMessageId();
        if (feedbackType.isEmpty()) {
            return BounceReport.unknown("a feedback report without Feedback-Type", originalId, reportingMta);
        }
        // Original-Rcpt-To is optional (Microsoft's JMRP omits it); the returned mail's single To then names them.
        String recipient = address(first(fields, "Original-Rcpt-To"));
        if (recipient.isEmpty()) {
            recipient = parts.returnedTo();
        }
        if (recipient.isEmpty()) {
            return BounceReport.unknown("a " + feedbackType + " feedback report that names no recipient (redacted?)",
                    originalId, reportingMta);
        }
        if (!feedbackType.equals("abuse") && !feedbackType.equals("fraud") && !feedbackType.equals("virus")
                && !feedbackType.equals("other")) {
            // not-spam, auth-failure: not the recipient asking to stop.
            return new BounceReport(BounceKind.UNKNOWN, recipient, "", "feedback type " + feedbackType + " is not a complaint",
                    originalId, reportingMta);
        }
        return new BounceReport(BounceKind.COMPLAINT, recipient, "", "feedback type " + feedbackType, originalId, reportingMta);
    }

    /** The parts of a report that matter, found by content type wherever the vendor put them. */
    private static final class Parts {
        BodyPart deliveryStatus;
        BodyPart feedback;
        InternetHeaders returned;

        static Parts of(MimeMultipart multipart) throws MessagingException, IOException {
            Parts parts = new Parts();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart part = multipart.getBodyPart(i);
                ContentType type = contentType(part.getContentType());
                if (type == null) {
                    continue;
                }
                String base = type.getBaseType().toLowerCase(Locale.ROOT);
                switch (base) {
                    case "message/delivery-status", "message/global-delivery-status" -> parts.deliveryStatus = part;
                    case "message/feedback-report" -> parts.feedback = part;
                    case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
                         "message/global-headers" -> {
                        if (parts.returned == null) {
                            try (InputStream in = part.getInputStream()) {
                                parts.returned = new InternetHeaders(in);
                            }
                        }
                    }
                    default -> { }
                }
            }
            return parts;
        }

        String originalMessageId() {
            return returned == null ? "" : first(returned, "Message-ID").strip();
        }

        /** The single address of the returned mail's To, or empty. */
        String returnedTo() {
            String to = returned == null ? "" : first(returned, "To");
            try {
                InternetAddress[] addresses = InternetAddress.parseHeader(to, false);
                return addresses.length == 1 ? address(addresses[0].getAddress()) : "";
            } catch (MessagingException e) {
                return "";
            }
        }
    }

    /** The blank-line separated header blocks of a report part (RFC 3464 section 2.1). */
    private static List<InternetHeaders> headerBlocks(BodyPart part) throws MessagingException, IOException {
        List<InternetHeaders> blocks = new ArrayList<>();
        try (PushbackInputStream in = new PushbackInputStream(part.getInputStream(), 2)) {
            for (int guard = 0; guard < 1000; guard++) {
                skipBlankLines(in);
                int next = in.read();
                if (next < 0) {
                    break;
                }
                in.unread(next);
                InternetHeaders block = new InternetHeaders(in);
                if (block.getAllHeaders().hasMoreElements()) {
                    blocks.add(block);
                }
            }
        }
        return blocks;
    }

    private static void skipBlankLines(PushbackInputStream in) throws IOException {
        int c;
        while ((c = in.read()) == '\r' || c == '\n') {
            // Microsoft 365 has put two blank lines between blocks; an empty block is no block.
        }
        if (c >= 0) {
            in.unread(c);
        }
    }

    private static String first(InternetHeaders headers, String name) {
        String[] values = headers.getHeader(name);
        return values == null || values.length == 0 ? "" : values[0].replaceAll("\\r?\\n[ \\t]*", " ");
    }

    /** {@code rfc822; bob@example.org} -> {@code bob@example.org}; {@code dns; mx.example.org} -> {@code mx.example.org}. */
    private static String typedValue(String field) {
        int semicolon = field.indexOf(';');
        return (semicolon < 0 ? field : field.substring(semicolon + 1)).strip();
    }

    /** A bare, lower-cased address, or empty when the text is not one address. */
    static String address(String text) {
        String t = text.strip();
        if (t.startsWith("<") && t.endsWith(">")) {
            t = t.substring(1, t.length() - 1).strip();
        }
        int at = t.lastIndexOf('@');
        if (at <= 0 || at == t.length() - 1 || t.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>' || c == ',')) {
            return "";
        }
        return t.toLowerCase(Locale.ROOT);
    }

    private static ContentType contentType(String text) {
        if (text == null) {
            return null;
        }
        try {
            return new ContentType(text);
        } catch (ParseException e) {
            return null;
        }
    }
}
