package io.github.outboundrelay.common.transport;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import java.io.UnsupportedEncodingException;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/** Turns an {@link OutboundMessage} into the MIME message Angus sends, keeping its Message-ID. */
public final class MimeMessageFactory {
    private MimeMessageFactory() {
    }

    public static SMTPMessage create(Session session, OutboundMessage message, RelaySettings settings) throws MessagingException {
        MailAddress from = message.from() != null ? message.from() : settings.from();
        if (from == null) {
            throw new InvalidInputException("from", "is not set on the message or in the relay settings",
                    "Set a From address in the relay settings");
        }
        if (message.needsUtf8() || from.needsUtf8()) {
            if (!settings.allowUtf8()) {
                throw new InvalidInputException("allowUtf8", "is off but the message has a non-ASCII address",
                        "Turn on UTF-8 addresses (the relay must offer SMTPUTF8) or use ASCII addresses");
            }
        }
        SMTPMessage mime = new FixedIdMessage(session, message.messageId());
        mime.setFrom(internet(from));
        MailAddress replyTo = message.replyTo() != null ? message.replyTo() : settings.replyTo();
        if (replyTo != null) {
            mime.setReplyTo(new InternetAddress[] {internet(replyTo)});
        }
        mime.setRecipients(Message.RecipientType.TO, internet(message.to()));
        if (!message.cc().isEmpty()) {
            mime.setRecipients(Message.RecipientType.CC, internet(message.cc()));
        }
        // Bcc recipients are envelope-only: they never appear in a header.
        if (settings.envelopeFrom() != null) {
            mime.setEnvelopeFrom(settings.envelopeFrom().address());
        }
        mime.setSubject(message.subject(), "UTF-8");
        mime.setSentDate(new Date());
        setBody(mime, message);
        for (Map.Entry<String, String> header : message.headers().entrySet()) {
            try {
                String encoded = MimeUtility.encodeText(header.getValue(), "UTF-8", null);
                mime.setHeader(header.getKey(), MimeUtility.fold(header.getKey().length() + 2, encoded));
            } catch (UnsupportedEncodingException e) {
                throw new IllegalStateException("UTF-8 is always supported", e);
            }
        }
        mime.saveChanges();
        return mime;
    }

    public static InternetAddress[] envelopeRecipients(OutboundMessage message) {
        return internet(message.recipients());
    }

    private static void setBody(SMTPMessage mime, OutboundMessage message) throws MessagingException {
        if (message.text() != null && message.html() != null) {
            MimeBodyPart text = new MimeBodyPart();
            text.setText(message.text(), "UTF-8");
            MimeBodyPart html = new MimeBodyPart();
            html.setText(message.html(), "UTF-8", "html");
            MimeMultipart alternative = new MimeMultipart("alternative");
            alternative.addBodyPart(text);
            alternative.addBodyPart(html);
            mime.setContent(alternative);
        } else if (message.html() != null) {
            mime.setText(message.html(), "UTF-8", "html");
        } else {
            mime.setText(message.text(), "UTF-8");
        }
    }

    static InternetAddress internet(MailAddress address) {
        try {
            return address.displayName().isEmpty()
                    ? new InternetAddress(address.address(), null, "UTF-8")
                    : new InternetAddress(address.address(), address.displayName(), "UTF-8");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is always supported", e);
        }
    }

    private static InternetAddress[] internet(List<MailAddress> addresses) {
        return addresses.stream().map(MimeMessageFactory::internet).toArray(InternetAddress[]::new);
    }

    /** Keeps the Message-ID the message was built with; jakarta.mail would make a new one on every save. */
    private static final class FixedIdMessage extends SMTPMessage {
        private final String messageId;

        FixedIdMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}
