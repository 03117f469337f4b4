package io.github.outboundrelay.common.queue;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.mime.MimeRenderer;
import io.github.outboundrelay.common.spool.Spool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * VERP for a mail to several recipients: one SMTP transaction has one envelope sender, so a lane with VERP on does
 * not send such a mail but replaces it in the spool by one copy per recipient, each then an ordinary
 * single-recipient mail with its own VERP sender, retries and dead letter (docs/architecture.md, "One envelope per
 * recipient"). Every copy carries the same rendered bytes, so each shows the same To and Cc and no Bcc; only the
 * envelope differs.
 */
final class RecipientFanOut {
    private RecipientFanOut() {
    }

    /** Whether {@code settings}' lane sends {@code message} as one copy per recipient instead of as it is. */
    static boolean applies(RelaySettings settings, OutboundMessage message) {
        return settings.verp() && message.recipients().size() > 1;
    }

    /**
     * One copy of {@code message} per distinct recipient, in its order, each keeping the field it had (To, Cc or Bcc,
     * the first one for an address named twice) and the Message-ID. Should a copy ever be rendered again (a failover
     * relay with another From), its headers then name that recipient alone, and a Bcc recipient still in no header.
     */
    static List<OutboundMessage> copies(OutboundMessage message) {
        List<OutboundMessage> copies = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (MailAddress r : message.to()) {
            if (seen.add(r.address())) {
                copies.add(copy(message, List.of(r), List.of(), List.of()));
            }
        }
        for (MailAddress r : message.cc()) {
            if (seen.add(r.address())) {
                copies.add(copy(message, List.of(), List.of(r), List.of()));
            }
        }
        for (MailAddress r : message.bcc()) {
            if (seen.add(r.address())) {
                copies.add(copy(message, List.of(), List.of(), List.of(r)));
            }
        }
        return copies;
    }

    private static OutboundMessage copy(OutboundMessage m, List<MailAddress> to, List<MailAddress> cc, List<MailAddress> bcc) {
        return new OutboundMessage(m.messageId(), m.from(), to, cc, bcc, m.replyTo(), m.subject(), m.text(), m.html(),
                m.headers());
    }

    /**
     * The bytes every copy goes out with: {@code rendered} (the submit's rendering) when it is a rendering of
     * {@code message} for these settings, else {@code message} rendered now; either way the whole mail's To and Cc.
     *
     * @throws io.github.outboundrelay.common.InvalidInputException when these settings cannot send it (no From)
     */
    static byte[] rendering(OutboundMessage message, byte[] rendered, RelaySettings settings, Instant now) {
        return rendered != null && MimeRenderer.rendersFor(rendered, message, settings) ? rendered
                : MimeRenderer.render(message, settings, now);
    }

    /**
     * Stores {@code copies}, each durable before the next is written. They keep the original's first submission,
     * so the lifetime, the send gate's link expiry and the order of the queue stay the original's.
     *
     * @return the stored copies' ids, in order
     * @throws Partial when a copy could not be stored, naming those that were
     */
    static List<String> store(Spool spool, List<OutboundMessage> copies, byte[] rendered, Instant firstSubmitted) {
        List<String> ids = new ArrayList<>(copies.size());
        for (OutboundMessage copy : copies) {
            try {
                ids.add(spool.store(copy, rendered, firstSubmitted));
            } catch (RuntimeException e) {
                throw new Partial(List.copyOf(ids), copies.size(), e);
            }
        }
        return ids;
    }

    /** Not every copy was stored: {@code stored} were, and are due like any mail. */
    static final class Partial extends RuntimeException {
        final List<String> stored;

        Partial(List<String> stored, int wanted, RuntimeException cause) {
            super(stored.size() + " of " + wanted + " copies stored: " + cause.getMessage(), cause);
            this.stored = stored;
        }
    }
}
