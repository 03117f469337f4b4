package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.model.Descriptor;
import hudson.model.ManagementLink;
import hudson.security.Permission;
import jakarta.servlet.ServletException;
import jenkins.model.Jenkins;
import org.kohsuke.stapler.HttpResponse;
import org.kohsuke.stapler.HttpResponses;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * Manage Jenkins > Outbound Email Relay: the settings form ({@link RelayConfiguration}'s config.jelly) and beside it
 * the delivery status: counters, recent delivery-log events and dead letters with retry and purge. The same
 * pattern as core's Appearance page: a ManagementLink that renders a GlobalConfiguration of its own category.
 */
@Extension
public class RelayManagementLink extends ManagementLink {
    @Override
    public String getIconFileName() {
        return "symbol-paper-plane-outline";
    }

    @Override
    public String getDisplayName() {
        return "Outbound Email Relay";
    }

    @Override
    public String getDescription() {
        return "Relays, credentials and TLS trust for mail from Jenkins; test connection, send a test email, delivery status.";
    }

    @Override
    public String getUrlName() {
        return "outbound-relay";
    }

    @Override
    public Category getCategory() {
        return Category.CONFIGURATION;
    }

    @Override
    public Permission getRequiredPermission() {
        return Jenkins.ADMINISTER;
    }

    public RelayConfiguration getConfiguration() {
        return RelayConfiguration.get();
    }

    /** Saves the form. */
    @POST
    public HttpResponse doConfigure(StaplerRequest2 req) throws ServletException, Descriptor.FormException {
        Checks.requireAdminister();
        getConfiguration().configure(req, req.getSubmittedForm());
        return HttpResponses.redirectToDot();
    }

    @POST
    public HttpResponse doRetryDeadLetter(@QueryParameter String messageId) {
        Checks.requireAdminister();
        getConfiguration().mailer().retryDeadLetter(messageId);
        return HttpResponses.redirectToDot();
    }

    @POST
    public HttpResponse doPurgeDeadLetter(@QueryParameter String messageId) {
        Checks.requireAdminister();
        getConfiguration().mailer().purgeDeadLetter(messageId);
        return HttpResponses.redirectToDot();
    }
}
