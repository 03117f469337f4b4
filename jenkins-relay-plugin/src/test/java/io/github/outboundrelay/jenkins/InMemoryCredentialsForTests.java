package io.github.outboundrelay.jenkins;

import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.util.ListBoxModel;
import hudson.util.Secret;
import java.util.Map;

/** Stands in for the Credentials plugin's store, which needs a Jenkins runtime: username/password entries by id. */
final class InMemoryCredentialsForTests extends RelayCredentialsLookup {
    private final Map<String, StandardUsernamePasswordCredentials> byId;

    InMemoryCredentialsForTests(Map<String, StandardUsernamePasswordCredentials> byId) {
        this.byId = Map.copyOf(byId);
    }

    static StandardUsernamePasswordCredentials usernamePassword(String id, String username, String password) {
        return new StandardUsernamePasswordCredentials() {
            @Override
            public String getId() {
                return id;
            }

            @Override
            public String getDescription() {
                return "test credential " + id;
            }

            @Override
            public String getUsername() {
                return username;
            }

            @Override
            public Secret getPassword() {
                return Secret.fromString(password);
            }
        };
    }

    @Override
    public StandardUsernamePasswordCredentials find(String credentialsId) {
        return credentialsId == null ? null : byId.get(credentialsId);
    }

    @Override
    public ListBoxModel choices(String currentId) {
        ListBoxModel model = new ListBoxModel();
        model.add("- none -", "");
        byId.values().forEach(c -> model.add(c.getDescription(), c.getId()));
        return model;
    }
}
