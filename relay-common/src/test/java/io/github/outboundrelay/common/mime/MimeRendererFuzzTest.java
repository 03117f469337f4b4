package io.github.outboundrelay.common.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.address.MailboxList;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.junit.jupiter.api.Test;

/**
 * Renders thousands of random messages (seeded, so a failure repeats) and reads each back with jakarta.mail and
 * with Apache James mime4j, an independent parser: every header and every body part must come back as given
 * (bodies in their canonical form: CRLF line ends, ending in CRLF), and the bytes must obey RFC 5322's limits.
 */
class MimeRendererFuzzTest {
    private static final int MESSAGES = 2000;
    private static final long SEED = 20261203L;
    private static final Instant DATE = Instant.parse("2026-12-03T07:30:15Z");
    private static final Session SESSION = Session.getInstance(new Properties());

    @Test
    void everyRandomMessageReadsBackTheSameWithJakartaMailAndMime4j() throws Exception {
        RandomMessages messages = new RandomMessages(SEED);
        for (int i = 0; i < MESSAGES; i++) {
            OutboundMessage message = messages.next();
            MailAddress replyTo = message.replyTo();
            byte[] rendered = MimeRenderer.render(message, message.from(), replyTo, DATE);
            String context = "message " + i + " of seed " + SEED + ":\n" + new String(rendered, StandardCharsets.UTF_8);
            try {
                checkLimits(rendered);
                readBackWithJakartaMail(message, rendered);
                readBackWithMime4j(message, rendered);
            } catch (AssertionError | Exception e) {
                throw new AssertionError(context, e);
            }
        }
    }

    /** ASCII only (the addresses are), CRLF line ends only, no line above 998, header lines within 78. */
    private static void checkLimits(byte[] rendered) {
        boolean inHeader = true;
        int lineStart = 0;
        for (int i = 0; i < rendered.length; i++) {
            byte b = rendered[i];
            if ((b & 0xFF) >= 0x80) {
                fail("byte " + i + " is not ASCII");
            }
            if (b == '\n') {
                if (i == 0 || rendered[i - 1] != '\r') {
                    fail("bare LF at " + i);
                }
                int length = i - 1 - lineStart;
                if (length > (inHeader ? 78 : 998)) {
                    fail("the line at " + lineStart + " is " + length + " characters long");
                }
                inHeader &= length > 0;
                lineStart = i + 1;
            } else if (b == '\r' && (i + 1 == rendered.length || rendered[i + 1] != '\n')) {
                fail("bare CR at " + i);
            }
        }
        assertThat(lineStart).as("the message ends with CRLF").isEqualTo(rendered.length);
    }

    private static void readBackWithJakartaMail(OutboundMessage message, byte[] rendered) throws Exception {
        MimeMessage mime = new MimeMessage(SESSION, new ByteArrayInputStream(rendered));
        assertThat(orEmpty(mime.getSubject())).isEqualTo(message.subject());
        assertThat(jakartaMailboxes(mime.getFrom())).containsExactly(message.from());
        assertThat(jakartaMailboxes(mime.getRecipients(Message.RecipientType.TO))).containsExactlyElementsOf(message.to());
        assertThat(jakartaMailboxes(mime.getRecipients(Message.RecipientType.CC))).containsExactlyElementsOf(message.cc());
        assertThat(mime.getHeader("Bcc")).isNull();
        assertThat(jakartaMailboxes(mime.getHeader("Reply-To") == null ? null : mime.getReplyTo()))
                .containsExactlyElementsOf(message.replyTo() == null ? List.of() : List.of(message.replyTo()));
        assertThat(mime.getMessageID()).isEqualTo(message.messageId());
        assertThat(mime.getSentDate()).isEqualTo(Date.from(DATE));
        assertThat(mime.getHeader("MIME-Version", null)).isEqualTo("1.0");
        for (Map.Entry<String, String> header : message.headers().entrySet()) {
            String raw = mime.getHeader(header.getKey(), null);
            assertThat(MimeUtility.decodeText(MimeUtility.unfold(orEmpty(raw)))).as(header.getKey()).isEqualTo(header.getValue());
        }
        Object content = mime.getContent();
        if (message.text() != null && message.html() != null) {
            assertThat(mime.getContentType()).startsWith("multipart/alternative");
            MimeMultipart parts = (MimeMultipart) content;
            assertThat(parts.getCount()).isEqualTo(2);
            assertThat(parts.getBodyPart(0).getContentType()).isEqualTo("text/plain; charset=UTF-8");
            assertThat(parts.getBodyPart(0).getContent()).isEqualTo(canonical(message.text()));
            assertThat(parts.getBodyPart(1).getContentType()).isEqualTo("text/html; charset=UTF-8");
            assertThat(parts.getBodyPart(1).getContent()).isEqualTo(canonical(message.html()));
        } else if (message.html() != null) {
            assertThat(mime.getContentType()).isEqualTo("text/html; charset=UTF-8");
            assertThat(content).isEqualTo(canonical(message.html()));
        } else {
            assertThat(mime.getContentType()).isEqualTo("text/plain; charset=UTF-8");
            assertThat(content).isEqualTo(canonical(message.text()));
        }
    }

    private static void readBackWithMime4j(OutboundMessage message, byte[] rendered) throws Exception {
        org.apache.james.mime4j.dom.Message mime = new DefaultMessageBuilder().parseMessage(new ByteArrayInputStream(rendered));
        assertThat(orEmpty(mime.getSubject())).isEqualTo(message.subject());
        assertThat(mime4jMailboxes(mime.getFrom())).containsExactly(message.from());
        assertThat(mime4jMailboxes(mime.getTo())).containsExactlyElementsOf(message.to());
        assertThat(mime4jMailboxes(mime.getCc())).containsExactlyElementsOf(message.cc());
        assertThat(mime4jMailboxes(mime.getReplyTo()))
                .containsExactlyElementsOf(message.replyTo() == null ? List.of() : List.of(message.replyTo()));
        assertThat(mime.getMessageId()).isEqualTo(message.messageId());
        assertThat(mime.getDate()).isEqualTo(Date.from(DATE));
        for (Map.Entry<String, String> header : message.headers().entrySet()) {
            String body = mime.getHeader().getField(header.getKey()).getBody();
            assertThat(DecoderUtil.decodeEncodedWords(body, DecodeMonitor.STRICT)).as(header.getKey()).isEqualTo(header.getValue());
        }
        if (message.text() != null && message.html() != null) {
            assertThat(mime.getMimeType()).isEqualTo("multipart/alternative");
            List<Entity> parts = ((Multipart) mime.getBody()).getBodyParts();
            assertThat(parts).hasSize(2);
            assertThat(parts.get(0).getMimeType()).isEqualTo("text/plain");
            assertThat(text(parts.get(0))).isEqualTo(canonical(message.text()));
            assertThat(parts.get(1).getMimeType()).isEqualTo("text/html");
            assertThat(text(parts.get(1))).isEqualTo(canonical(message.html()));
        } else {
            assertThat(mime.getMimeType()).isEqualTo(message.html() != null ? "text/html" : "text/plain");
            assertThat(text(mime)).isEqualTo(canonical(message.html() != null ? message.html() : message.text()));
        }
    }

    private static String text(Entity entity) throws IOException {
        assertThat(entity.getCharset()).isEqualTo("UTF-8");
        StringWriter out = new StringWriter();
        try (Reader reader = ((org.apache.james.mime4j.dom.TextBody) entity.getBody()).getReader()) {
            reader.transferTo(out);
        }
        return out.toString();
    }

    private static List<MailAddress> jakartaMailboxes(Address[] addresses) {
        List<MailAddress> list = new ArrayList<>();
        if (addresses != null) {
            for (Address a : addresses) {
                InternetAddress ia = (InternetAddress) a;
                list.add(new MailAddress(ia.getAddress(), ia.getPersonal()));
            }
        }
        return list;
    }

    private static List<MailAddress> mime4jMailboxes(MailboxList mailboxes) {
        List<MailAddress> list = new ArrayList<>();
        if (mailboxes != null) {
            for (Mailbox m : mailboxes) {
                list.add(new MailAddress(m.getAddress(), m.getName()));
            }
        }
        return list;
    }

    private static List<MailAddress> mime4jMailboxes(AddressList addresses) {
        return addresses == null ? List.of() : mime4jMailboxes(addresses.flatten());
    }

    /** What a body reads back as, computed apart from the renderer: CRLF for every line end, a CRLF at the end. */
    private static String canonical(String body) {
        String crlf = body.replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
        return crlf.endsWith("\r\n") ? crlf : crlf + "\r\n";
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
