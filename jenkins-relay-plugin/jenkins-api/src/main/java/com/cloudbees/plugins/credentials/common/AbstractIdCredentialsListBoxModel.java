// Stand-in. Mirrors jenkinsci/credentials-plugin/src/main/java/com/cloudbees/plugins/credentials/common/AbstractIdCredentialsListBoxModel.java at tag 1480.v2246fd131e83; checked member by member against the real sources (profiles 1480 and 1502; docs/jenkins.md, "How this plugin was built and checked").
// Bodies are stand-ins: the real include* methods look credentials up through every CredentialsProvider.
package com.cloudbees.plugins.credentials.common;

import com.cloudbees.plugins.credentials.domains.DomainRequirement;
import hudson.model.ItemGroup;
import hudson.util.ListBoxModel;
import java.util.List;
import org.springframework.security.core.Authentication;

public abstract class AbstractIdCredentialsListBoxModel<T extends AbstractIdCredentialsListBoxModel<T, C>, C extends IdCredentials>
        extends ListBoxModel {

    protected abstract String describe(C c);

    public AbstractIdCredentialsListBoxModel<T, C> includeEmptyValue() {
        add("- none -", "");
        return this;
    }

    @SuppressWarnings("rawtypes")
    public AbstractIdCredentialsListBoxModel<T, C> includeAs(Authentication authentication, ItemGroup context,
            Class<? extends C> type, List<DomainRequirement> domainRequirements) {
        return this;
    }

    public AbstractIdCredentialsListBoxModel<T, C> includeCurrentValue(String value) {
        return this;
    }
}
