package io.github.outboundrelay.keycloak.it;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A mail as the relay received it, decoded with jakarta.mail: headers, text and HTML parts, the action link. */
record ReceivedMessage(String envelopeFrom, List<String> recipients, InternetAddress from, InternetAddress replyTo,
                       String subject, String text, String html) {

    private static final Pattern ACTION_LINK = Pattern.compile("https?://[^\\s\"<>]+/login-actions/action-token\\?key=[^\\s\"<>]+");

    static ReceivedMessage parse(String envelopeFrom, List<String> recipients, byte[] data) {
        try {
            MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(data));
            String text = null;
            String html = null;
            Object content = mime.getContent();
            if (content instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    BodyPart part = multipart.getBodyPart(i);
                    if (part.isMimeType("text/plain")) {
                        text = (String) part.getContent();
                    } else if (part.isMimeType("text/html")) {
                        html = (String) part.getContent();
                    }
                }
            } else if (mime.isMimeType("text/html")) {
                html = (String) content;
            } else {
                text = (String) content;
            }
            InternetAddress from = (InternetAddress) mime.getFrom()[0];
            InternetAddress replyTo = mime.getReplyTo() == null ? null : (InternetAddress) mime.getReplyTo()[0];
            return new ReceivedMessage(envelopeFrom, recipients, from, replyTo, mime.getSubject(), text, html);
        } catch (Exception e) {
            throw new AssertionError("the relay received something that is not a MIME message", e);
        }
    }

    /** The action-token link of a verify-email, reset-password or execute-actions mail, from the text part. */
    String actionLink() {
        Matcher m = ACTION_LINK.matcher(text == null ? "" : text);
        if (!m.find()) {
            throw new AssertionError("no action-token link in the text part:\n" + text);
        }
        return m.group();
    }
}
