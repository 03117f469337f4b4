package io.github.outboundrelay.jenkins;

import hudson.Extension;
import jenkins.model.GlobalConfigurationCategory;
import org.jenkinsci.Symbol;

/** Keeps the relay settings off the system configuration page; its symbol is their configuration-as-code root key. */
@Extension
@Symbol("outboundRelay")
public class RelayConfigurationCategory extends GlobalConfigurationCategory {
    @Override
    public String getShortDescription() {
        return "Relays Jenkins mail through an authenticated SMTP relay";
    }

    @Override
    public String getDisplayName() {
        return "Outbound Email Relay";
    }
}
