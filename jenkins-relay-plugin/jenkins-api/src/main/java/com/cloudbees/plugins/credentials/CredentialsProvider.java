// Stand-in. Mirrors jenkinsci/credentials-plugin/src/main/java/com/cloudbees/plugins/credentials/CredentialsProvider.java at tag 1480.v2246fd131e83; checked member by member against the real sources (profiles 1480 and 1502; docs/jenkins.md, "How this plugin was built and checked").
// The real class is a Descriptor and an extension point; only the static look-up the plugin calls is declared.
package com.cloudbees.plugins.credentials;

import com.cloudbees.plugins.credentials.common.IdCredentials;
import com.cloudbees.plugins.credentials.domains.DomainRequirement;
import hudson.model.ItemGroup;
import java.util.List;
import org.springframework.security.core.Authentication;

public abstract class CredentialsProvider {
    private CredentialsProvider() {
    }

    public static <C extends IdCredentials> C findCredentialByIdInItemGroup(String id, Class<C> type,
            ItemGroup<?> itemGroup, Authentication authentication, List<DomainRequirement> domainRequirements) {
        return null;
    }
}
