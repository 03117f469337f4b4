package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.model.Descriptor;
import hudson.model.ManagementLink;
import hudson.security.Permission;
import io.github.outboundrelay.common.RecipientMask;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;
import org.kohsuke.stapler.HttpResponse;
import org.kohsuke.stapler.HttpResponses;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * Manage Jenkins > Outbound Email Relay: the settings form ({@link RelayConfiguration}'s config.jelly) and beside it
 * the durable queue's status: metrics, per-relay health, recent delivery-log events and the dead letters kept in the
 * spool, with retry and purge (dead letters are named by their spool id); then bounces: the mailbox's status with
 * "poll now", the rates, and the suppression list with search and remove (docs/jenkins.md, "Bounces"). The same
 * pattern as core's Appearance page: a ManagementLink that renders a GlobalConfiguration of its own category.
 */
@Extension
public class RelayManagementLink extends ManagementLink {
    private static final Logger LOGGER = Logger.getLogger(RelayManagementLink.class.getName());

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
        return "Relays, credentials and TLS trust for mail from Jenkins; test connection, send a test email, delivery status, "
                + "bounces and the suppression list.";
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

    /**
     * Runs a dead-letter action and shows the page again. When the queue cannot open (no relay, a missing
     * credential) the page's status part says why, instead of an error page with a stack trace.
     */
    private HttpResponse act(java.util.function.Consumer<RelayMailer> action) {
        try {
            action.accept(getConfiguration().mailer());
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: dead-letter action failed: {0}", e.getMessage());
        }
        return HttpResponses.redirectToDot();
    }

    /** Queues a dead letter again, with a fresh retry lifetime, after its cause was fixed. */
    @POST
    public HttpResponse doRetryDeadLetter(@QueryParameter String id) {
        Checks.requireAdminister();
        return act(m -> m.retryDeadLetter(id));
    }

    /** Deletes one dead letter, body included. */
    @POST
    public HttpResponse doPurgeDeadLetter(@QueryParameter String id) {
        Checks.requireAdminister();
        return act(m -> m.purgeDeadLetter(id));
    }

    /** Deletes every dead letter. */
    @POST
    public HttpResponse doPurgeDeadLetters() {
        Checks.requireAdminister();
        return act(m -> m.purgeDeadLetters());
    }

    /** Reads the bounce mailbox now instead of at the next poll; the page then shows the result. */
    @POST
    public HttpResponse doPollBounces() {
        Checks.requireAdminister();
        try {
            getConfiguration().pollBouncesNow();
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: polling the bounce mailbox failed: {0}", e.getMessage());
        }
        return HttpResponses.redirectToDot();
    }

    /** Takes an address off the suppression list once it was fixed: mail to it is sent again. */
    @POST
    public HttpResponse doRemoveSuppression(@QueryParameter String address) {
        Checks.requireAdminister();
        try {
            if (address != null && !address.isBlank() && getConfiguration().removeSuppression(address)) {
                LOGGER.log(Level.INFO, "Outbound relay: an administrator removed {0} from the suppression list",
                        RecipientMask.mask(address.strip()));
            }
        } catch (IOException | RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: removing an address from the suppression list failed: {0}", e.getMessage());
        }
        return HttpResponses.redirectToDot();
    }
}
