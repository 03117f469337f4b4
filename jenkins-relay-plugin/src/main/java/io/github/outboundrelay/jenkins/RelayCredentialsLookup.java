package io.github.outboundrelay.jenkins;

import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.Extension;
import hudson.ExtensionList;
import hudson.ExtensionPoint;
import hudson.security.ACL;
import hudson.util.ListBoxModel;
import java.util.List;
import jenkins.model.Jenkins;

/**
 * Where relay credentials come from: the Credentials plugin, system-wide ("Username with password" entries). An
 * extension point so that a test without a Jenkins runtime can supply credentials the same way Jenkins finds this one.
 */
public abstract class RelayCredentialsLookup implements ExtensionPoint {

    /** The credential with this id, or null when there is none. */
    public abstract StandardUsernamePasswordCredentials find(String credentialsId);

    /** Choices for the credentials drop-down, keeping {@code currentId} even when it no longer resolves. */
    public abstract ListBoxModel choices(String currentId);

    static RelayCredentialsLookup get() {
        return ExtensionList.lookupFirst(RelayCredentialsLookup.class);
    }

    /** The Credentials plugin, looked up as SYSTEM in the Jenkins root: relay credentials are global, not per job. */
    @Extension
    public static final class FromCredentialsPlugin extends RelayCredentialsLookup {
        @Override
        public StandardUsernamePasswordCredentials find(String credentialsId) {
            if (credentialsId == null || credentialsId.isBlank()) {
                return null;
            }
            return CredentialsProvider.findCredentialByIdInItemGroup(credentialsId, StandardUsernamePasswordCredentials.class,
                    Jenkins.get(), ACL.SYSTEM2, List.of());
        }

        @Override
        public ListBoxModel choices(String currentId) {
            return new StandardListBoxModel().includeEmptyValue()
                    .includeAs(ACL.SYSTEM2, Jenkins.get(), StandardUsernamePasswordCredentials.class, List.of())
                    .includeCurrentValue(currentId);
        }
    }
}
