package io.github.outboundrelay.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.outboundrelay.common.DomainAllowList;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server's limits are provider options, which only whoever runs Keycloak sets; a realm's tab can narrow where its
 * mail goes, never widen it.
 */
class ServerMailLimitsTest {
    static final Path HOME = Path.of("/opt/keycloak");

    static ServerOptions server(Map<String, String> options) {
        return ServerOptions.parse(options::get, HOME);
    }

    static MailAddress to(String address) {
        return MailAddress.parse(address, "to");
    }

    @Test
    void byDefaultARealmMayQueueTenThousandMailsToAnyDomain() {
        ServerMailLimits limits = server(Map.of()).limits();
        assertThat(limits.maxQueuedPerRealm()).isEqualTo(10_000);
        assertThat(limits.allowedRecipientDomains()).isEqualTo(DomainAllowList.ANY);
    }

    @Test
    void theOptionsAreReadByTheirDashedNames() {
        ServerMailLimits limits = server(Map.of("max-queued-per-realm", "500",
                "allowed-recipient-domains", "example.com, *.example.org")).limits();
        assertThat(limits.maxQueuedPerRealm()).isEqualTo(500);
        assertThat(limits.allowedRecipientDomains().entries()).containsExactly("example.com", "*.example.org");
    }

    @Test
    void aBadValueStopsStartupNamingTheOptionAsTyped() {
        assertThatThrownBy(() -> server(Map.of("max-queued-per-realm", "0")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("--spi-email-sender--relay--max-queued-per-realm: is '0'");
        assertThatThrownBy(() -> server(Map.of("allowed-recipient-domains", "example.com, user@example.org")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("--spi-email-sender--relay--allowed-recipient-domains: 'user@example.org' is not a domain");
    }

    @Test
    void aRealmCanNarrowTheServersRecipientDomainsButNeverWidenThem() {
        ServerOptions server = server(Map.of("allowed-recipient-domains", "example.com, example.org"));
        RealmRelayOptions narrower = RealmRelayOptions.parse(Map.of("allowedRecipientDomains", List.of("example.com")));
        narrower.checkRecipient(to("alice@example.com"), server);
        assertThatThrownBy(() -> narrower.checkRecipient(to("bob@example.org"), server))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("to: 'bob@example.org' is outside the allowed domains (example.com). Use an address at one of "
                        + "them, or ask an administrator to add its domain to the realm's Outbound relay tab, 'Allowed "
                        + "recipient domains'");

        RealmRelayOptions wider = RealmRelayOptions.parse(Map.of("allowedRecipientDomains", List.of("example.com, evil.test")));
        assertThatThrownBy(() -> wider.checkRecipient(to("mallory@evil.test"), server))
                .as("the realm lists it, the server does not")
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("outside the allowed domains (example.com, example.org)")
                .hasMessageContaining("--spi-email-sender--relay--allowed-recipient-domains (set by whoever runs Keycloak)");
        RealmRelayOptions.DEFAULTS.checkRecipient(to("carol@example.org"), server);
    }

    @Test
    void withoutServerDomainsTheRealmsListDecides() {
        ServerOptions server = server(Map.of());
        RealmRelayOptions.DEFAULTS.checkRecipient(to("anyone@anywhere.test"), server);
        RealmRelayOptions realm = RealmRelayOptions.parse(Map.of("allowedRecipientDomains", List.of("*.example.com")));
        realm.checkRecipient(to("dev@eu.example.com"), server);
        assertThatThrownBy(() -> realm.checkRecipient(to("dev@example.com"), server)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aTabEntryThatIsNotADomainIsRefusedNamingTheTabField() {
        assertThatThrownBy(() -> RealmRelayOptions.parse(Map.of("allowedRecipientDomains", List.of("http://example.com"))))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("allowedRecipientDomains"));
    }
}
