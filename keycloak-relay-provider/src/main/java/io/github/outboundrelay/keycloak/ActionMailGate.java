package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.SendGate;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A realm's judge of queued action mail, asked by the queue before each attempt ({@link SendGate}):
 * <ul>
 *   <li>a mail whose link expired is not sent: it becomes a dead letter {@code EXPIRED} (a dead link only
 *       confuses the user, and says the queue was slower than the link's lifespan);</li>
 *   <li>a password-reset or verify-email mail to an address for which a newer one of the same kind was queued since
 *       is dropped: only the newest link matters to its user. An unauthenticated flood of "forgot password" for one
 *       address therefore costs the queue one mail per throttle slot instead of one per request, and other users'
 *       mail behind it goes out without waiting for the flood.</li>
 * </ul>
 * What "newer" means is known from this node's own submissions ({@link #queued}); a mail this node does not know a
 * newer one for is sent. So nothing is ever dropped unless a newer mail to the same address and of the same kind is
 * stored in the queue; in a cluster each node drops what its own newer submissions replace, and after a restart the
 * first mail of each address goes out again. Thread-safe.
 */
final class ActionMailGate implements SendGate {
    /** The kinds where a newer link makes the older useless; execute-actions mails may name different actions. */
    static final Set<String> COALESCED = Set.of("reset-credentials", "verify-email");
    /** Addresses remembered at most; beyond it, remembering stops (nothing is dropped then) until links expire. */
    static final int MAX_REMEMBERED = 20_000;

    /** The newest mail of one kind to one address this node queued: when it was submitted (at the latest). */
    private record Newest(Instant submitted, String messageId, Instant expiresAt) {
    }

    private final ConcurrentHashMap<String, Newest> newest = new ConcurrentHashMap<>();

    /**
     * Remembers a mail the queue accepted.
     *
     * @param submittedBefore a time taken before {@code MailQueue.submit} was called, so never after the spool's own
     */
    void queued(OutboundMessage message, Instant submittedBefore) {
        Optional<ActionLink> link = ActionLink.in(message);
        if (link.isEmpty() || !COALESCED.contains(link.get().type()) || message.to().isEmpty()) {
            return;
        }
        if (newest.size() >= MAX_REMEMBERED) {
            newest.values().removeIf(n -> n.expiresAt().isBefore(submittedBefore));
            if (newest.size() >= MAX_REMEMBERED) {
                return;
            }
        }
        Newest mail = new Newest(submittedBefore, message.messageId(), link.get().expiresAt());
        newest.merge(key(link.get(), message), mail, (old, now) -> now.submitted().isAfter(old.submitted()) ? now : old);
    }

    @Override
    public Verdict check(OutboundMessage message, Instant firstSubmitted, Instant now) {
        Optional<ActionLink> found = ActionLink.in(message);
        if (found.isEmpty()) {
            return Verdict.SEND;
        }
        ActionLink link = found.get();
        if (link.hasExpiredAt(now)) {
            return Verdict.expired("its " + link.type() + " link expired at " + link.expiresAt());
        }
        if (COALESCED.contains(link.type()) && !message.to().isEmpty()) {
            Newest newer = newest.get(key(link, message));
            if (newer != null && !newer.messageId().equals(message.messageId()) && newer.submitted().isAfter(firstSubmitted)) {
                return Verdict.superseded("a newer " + link.type() + " mail to the same address was queued at "
                        + newer.submitted() + ": only its link is sent");
            }
        }
        return Verdict.SEND;
    }

    private static String key(ActionLink link, OutboundMessage message) {
        return link.type() + " " + message.to().get(0).address().toLowerCase(Locale.ROOT);
    }
}
