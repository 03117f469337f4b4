package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.model.Describable;
import hudson.model.Descriptor;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.TlsMode;
import jenkins.model.Jenkins;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * One relay of the failover list: where it is, how the connection is protected and how Jenkins authenticates.
 * Secrets live in the Credentials plugin; this holds only the credential's id.
 */
public final class RelayEndpoint implements Describable<RelayEndpoint> {
    private final String host;
    private String port = "";
    private String tlsMode = TlsMode.STARTTLS.name();
    private String authMode = AuthMode.PASSWORD.name();
    private String credentialsId = "";
    private String tokenUrl = "";
    private String scope = "";
    private String oauthUser = "";

    @DataBoundConstructor
    public RelayEndpoint(String host) {
        this.host = host == null ? "" : host.trim();
    }

    public String getHost() {
        return host;
    }

    /**
     * Empty for the TLS mode's usual port. Text, not a number: Stapler binds text that is not a number to an
     * {@code int} as 0 (commons-beanutils' default), so "abc" would be saved as "the usual port" without a word;
     * as text it reaches {@link RelayConfiguration#configure} and is refused there, naming the field.
     */
    public String getPort() {
        return port;
    }

    @DataBoundSetter
    public void setPort(String port) {
        this.port = port == null ? "" : port.trim();
    }

    public String getTlsMode() {
        return tlsMode;
    }

    @DataBoundSetter
    public void setTlsMode(String tlsMode) {
        this.tlsMode = RelayForm.blank(tlsMode) ? TlsMode.STARTTLS.name() : tlsMode.trim();
    }

    public String getAuthMode() {
        return authMode;
    }

    @DataBoundSetter
    public void setAuthMode(String authMode) {
        this.authMode = RelayForm.blank(authMode) ? AuthMode.NONE.name() : authMode.trim();
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    @DataBoundSetter
    public void setCredentialsId(String credentialsId) {
        this.credentialsId = credentialsId == null ? "" : credentialsId.trim();
    }

    public String getTokenUrl() {
        return tokenUrl;
    }

    @DataBoundSetter
    public void setTokenUrl(String tokenUrl) {
        this.tokenUrl = tokenUrl == null ? "" : tokenUrl.trim();
    }

    public String getScope() {
        return scope;
    }

    @DataBoundSetter
    public void setScope(String scope) {
        this.scope = scope == null ? "" : scope.trim();
    }

    public String getOauthUser() {
        return oauthUser;
    }

    @DataBoundSetter
    public void setOauthUser(String oauthUser) {
        this.oauthUser = oauthUser == null ? "" : oauthUser.trim();
    }

    RelayForm.Endpoint toForm() {
        return new RelayForm.Endpoint(host, port, tlsMode, authMode, credentialsId, tokenUrl, scope, oauthUser);
    }

    /** Settings saved by 0.1.0 held the port as a number, 0 meaning the usual port. */
    private Object readResolve() {
        if (port == null || port.equals("0")) {
            port = "";
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Descriptor<RelayEndpoint> getDescriptor() {
        return Jenkins.get().getDescriptorOrDie(RelayEndpoint.class);
    }

    @Override
    public String toString() {
        return "RelayEndpoint[" + host + ":" + port + ", " + tlsMode + ", " + authMode + "]";
    }

    /**
     * The row's form logic. Every web method is POST-only and checks ADMINISTER first: a validation endpoint that
     * opens connections or lists credentials is otherwise a way to probe the network or harvest credential ids
     * (SECURITY-2211-style advisories on mail plugins).
     */
    @Extension
    public static final class DescriptorImpl extends Descriptor<RelayEndpoint> {
        @Override
        public String getDisplayName() {
            return "Relay";
        }

        @POST
        public FormValidation doCheckHost(@QueryParameter String host) {
            Checks.requireAdminister();
            return Checks.host(host);
        }

        @POST
        public FormValidation doCheckPort(@QueryParameter String port, @QueryParameter String tlsMode) {
            Checks.requireAdminister();
            return Checks.port(port, tlsMode);
        }

        @POST
        public FormValidation doCheckCredentialsId(@QueryParameter String authMode, @QueryParameter String credentialsId) {
            Checks.requireAdminister();
            return Checks.credentials(authMode, credentialsId, RelayCredentialsLookup::get);
        }

        @POST
        public FormValidation doCheckTokenUrl(@QueryParameter String authMode, @QueryParameter String tokenUrl) {
            Checks.requireAdminister();
            return Checks.tokenUrl(authMode, tokenUrl);
        }

        @POST
        public ListBoxModel doFillTlsModeItems() {
            Checks.requireAdminister();
            ListBoxModel items = new ListBoxModel();
            items.add("STARTTLS (port 587)", TlsMode.STARTTLS.name());
            items.add("Implicit TLS (port 465)", TlsMode.IMPLICIT_TLS.name());
            items.add("None: plaintext, for a relay on this host only", TlsMode.NONE.name());
            return items;
        }

        @POST
        public ListBoxModel doFillAuthModeItems() {
            Checks.requireAdminister();
            ListBoxModel items = new ListBoxModel();
            for (AuthMode mode : AuthMode.values()) {
                items.add(mode.label(), mode.name());
            }
            return items;
        }

        @POST
        public ListBoxModel doFillCredentialsIdItems(@QueryParameter String credentialsId) {
            Checks.requireAdminister();
            return RelayCredentialsLookup.get().choices(credentialsId);
        }

        /** DNS, TCP, TLS, EHLO, AUTH and MAIL FROM with the values in the form, saved or not. */
        @POST
        public FormValidation doTestConnection(@QueryParameter String host, @QueryParameter String port,
                @QueryParameter String tlsMode, @QueryParameter String authMode, @QueryParameter String credentialsId,
                @QueryParameter String tokenUrl, @QueryParameter String scope, @QueryParameter String oauthUser,
                @QueryParameter String fromAddress, @QueryParameter String fromName, @QueryParameter String connectTimeout,
                @QueryParameter String readTimeout, @QueryParameter String trustPem, @QueryParameter String certificatePins) {
            Checks.requireAdminister();
            return probe(new RelayForm.Endpoint(host, port, tlsMode, authMode, credentialsId, tokenUrl, scope, oauthUser),
                    shared(fromAddress, fromName, connectTimeout, readTimeout, trustPem, certificatePins), null);
        }

        /** Every step of the connection test, then RCPT TO and DATA of a short test message to {@code testRecipient}. */
        @POST
        public FormValidation doSendTestEmail(@QueryParameter String host, @QueryParameter String port,
                @QueryParameter String tlsMode, @QueryParameter String authMode, @QueryParameter String credentialsId,
                @QueryParameter String tokenUrl, @QueryParameter String scope, @QueryParameter String oauthUser,
                @QueryParameter String fromAddress, @QueryParameter String fromName, @QueryParameter String connectTimeout,
                @QueryParameter String readTimeout, @QueryParameter String trustPem, @QueryParameter String certificatePins,
                @QueryParameter String testRecipient) {
            Checks.requireAdminister();
            MailAddress recipient;
            try {
                recipient = MailAddress.parse(testRecipient, "testRecipient");
            } catch (InvalidInputException e) {
                return ProbeHtml.invalid(e);
            }
            return probe(new RelayForm.Endpoint(host, port, tlsMode, authMode, credentialsId, tokenUrl, scope, oauthUser),
                    shared(fromAddress, fromName, connectTimeout, readTimeout, trustPem, certificatePins), recipient);
        }

        private static RelayForm.Shared shared(String fromAddress, String fromName, String connectTimeout, String readTimeout,
                String trustPem, String certificatePins) {
            return new RelayForm.Shared(fromAddress, fromName, null, connectTimeout, readTimeout, trustPem, certificatePins, true);
        }

        private static FormValidation probe(RelayForm.Endpoint endpoint, RelayForm.Shared shared, MailAddress recipient) {
            RelaySettings settings;
            try {
                settings = RelayForm.settings(endpoint, shared, RelayCredentialsLookup.get());
                if (recipient != null && settings.from() == null) {
                    throw new InvalidInputException("fromAddress", "is empty", "Enter the From address test and job mail is sent as");
                }
            } catch (InvalidInputException e) {
                return ProbeHtml.invalid(e);
            }
            ProbeReport report = PluginClassLoader.call(() -> RelayClient.probe(settings, recipient));
            return ProbeHtml.render(report);
        }
    }
}
