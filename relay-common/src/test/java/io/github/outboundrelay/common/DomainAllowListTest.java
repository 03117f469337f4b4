package io.github.outboundrelay.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DomainAllowListTest {
    static MailAddress address(String a) {
        return MailAddress.parse(a, "to");
    }

    @Test
    void anEntryAllowsExactlyItsDomainAndAWildcardOnlyItsSubdomains() {
        DomainAllowList list = DomainAllowList.parse("example.com, *.example.org", "allowedRecipientDomains");
        assertThat(list.allows(address("dev@example.com"))).isTrue();
        assertThat(list.allows(address("dev@EXAMPLE.COM"))).isTrue();
        assertThat(list.allows(address("dev@eu.example.org"))).isTrue();
        assertThat(list.allows(address("dev@a.b.example.org"))).isTrue();

        assertThat(list.allows(address("dev@mail.example.com"))).as("no wildcard for example.com").isFalse();
        assertThat(list.allows(address("dev@example.org"))).as("the wildcard is subdomains only").isFalse();
        assertThat(list.allows(address("dev@evilexample.com"))).isFalse();
        assertThat(list.allows(address("dev@example.com.evil.test"))).isFalse();
        assertThat(list.allows(address("dev@notexample.org"))).isFalse();
        assertThat(list.allows(address("dev@[127.0.0.1]"))).isFalse();
    }

    @Test
    void unicodeAndPunycodeSpellingsOfADomainAreTheSame() {
        DomainAllowList list = DomainAllowList.parse("bücher.example", "domains");
        assertThat(list.allows(address("anna@xn--bcher-kva.example"))).isTrue();
        assertThat(list.allows(address("anna@BÜCHER.example"))).isTrue();
        assertThat(DomainAllowList.parse("xn--bcher-kva.example", "domains").allows(address("anna@bücher.example"))).isTrue();
    }

    @Test
    void anEmptyListRestrictsNothing() {
        assertThat(DomainAllowList.parse("  ", "domains")).isEqualTo(DomainAllowList.ANY);
        assertThat(DomainAllowList.parse(null, "domains").allows(address("anyone@anywhere.test"))).isTrue();
    }

    @Test
    void entriesAreSeparatedByCommasSemicolonsSpacesOrLines() {
        assertThat(DomainAllowList.parse("a.example;b.example c.example\nd.example, a.example", "domains").entries())
                .containsExactly("a.example", "b.example", "c.example", "d.example");
    }

    @Test
    void anEntryThatIsNotADomainIsRefusedNamingTheSetting() {
        for (String bad : new String[] {"@example.com", "exa mple.com:25", "*", "*.", "example..com", "-a.example", "[127.0.0.1]"}) {
            assertThatThrownBy(() -> DomainAllowList.parse(bad, "allowedRecipientDomains"))
                    .as(bad).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("allowedRecipientDomains: '")
                    .hasMessageContaining("is not a domain");
        }
    }

    @Test
    void anAddressOutsideTheListIsRefusedNamingTheFieldTheListAndWhereToChangeIt() {
        DomainAllowList list = DomainAllowList.parse("example.com", "domains");
        assertThatThrownBy(() -> list.check(address("eve@evil.test"), "to", "'Allowed recipient domains'"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("to: 'eve@evil.test' is outside the allowed domains (example.com). Use an address at one of "
                        + "them, or ask an administrator to add its domain to 'Allowed recipient domains'");
    }
}
