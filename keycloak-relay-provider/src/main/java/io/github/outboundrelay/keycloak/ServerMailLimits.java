package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DomainAllowList;
import io.github.outboundrelay.common.InvalidInputException;
import java.util.function.Function;

/**
 * What the server lets any realm's mail do, whatever the realm's administrators save: provider options, so that only
 * whoever runs Keycloak can change them, and a realm can narrow them ({@link RealmRelayOptions}) but never widen them.
 *
 * @param maxQueuedPerRealm       mails a realm's queue may hold (waiting or being delivered); at the cap a new mail
 *                                is refused and the mail already queued is kept and delivered
 * @param allowedRecipientDomains where any realm may send mail; empty: anywhere
 */
record ServerMailLimits(int maxQueuedPerRealm, DomainAllowList allowedRecipientDomains) {
    static final String MAX_QUEUED_PER_REALM = "max-queued-per-realm";
    static final String ALLOWED_RECIPIENT_DOMAINS = "allowed-recipient-domains";
    static final int DEFAULT_MAX_QUEUED_PER_REALM = 10_000;

    /** @throws InvalidInputException naming the option as an administrator types it */
    static ServerMailLimits parse(Function<String, String> lookup) {
        String domains = ServerOptions.text(lookup, ALLOWED_RECIPIENT_DOMAINS);
        DomainAllowList allowed;
        try {
            allowed = DomainAllowList.parse(domains, ALLOWED_RECIPIENT_DOMAINS);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(ServerOptions.option(ALLOWED_RECIPIENT_DOMAINS), e.problem(), e.fix());
        }
        return new ServerMailLimits(
                ServerOptions.integer(lookup, MAX_QUEUED_PER_REALM, DEFAULT_MAX_QUEUED_PER_REALM, 1, 10_000_000), allowed);
    }
}
