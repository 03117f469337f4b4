package io.github.outboundrelay.common.mime;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import java.io.IOException;
import java.io.OutputStream;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/**
 * A message Angus sends as it is, for the connections where relay-common does not speak the mail transaction itself
 * (the socket Angus talks over is unknown: {@code transport.RelayConnection}): {@link #writeTo} hands the rendered
 * bytes to Angus's DATA stream in one write. It only replaces jakarta.mail's MIME objects. The bytes come from
 * {@link MimeRenderer} (CRLF line ends, no Bcc header), so the header list Angus asks to skip is already honoured.
 */
public final class RenderedMessage extends SMTPMessage {
    private final byte[] rendered;

    /** {@code envelopeFrom} is the MAIL FROM address; Angus then never parses a From header. */
    public RenderedMessage(Session session, byte[] rendered, String envelopeFrom) {
        super(session);
        this.rendered = rendered;
        setEnvelopeFrom(envelopeFrom);
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        out.write(rendered, 0, rendered.length);
    }

    @Override
    public void writeTo(OutputStream out, String[] ignoreList) throws IOException {
        out.write(rendered, 0, rendered.length);
    }

    @Override
    public int getSize() {
        return rendered.length;
    }

    /** The bytes are final: nothing to update (jakarta.mail would otherwise rebuild headers and a Message-ID). */
    @Override
    public void saveChanges() throws MessagingException {
    }
}
