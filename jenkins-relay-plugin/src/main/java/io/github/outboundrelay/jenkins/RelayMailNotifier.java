package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.Launcher;
import hudson.model.AbstractBuild;
import hudson.model.AbstractProject;
import hudson.model.BuildListener;
import hudson.model.Result;
import hudson.tasks.BuildStepDescriptor;
import hudson.tasks.BuildStepMonitor;
import hudson.tasks.Notifier;
import hudson.tasks.Publisher;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.spool.SpoolException;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * Post-build action "Send email through the relay": mails the recipients when a build fails, becomes unstable, or
 * is back to normal after either. A mail that cannot be submitted (or that the page's recipient limits refuse,
 * {@link JobMailPolicy}) is reported in the log and never fails the build.
 */
public final class RelayMailNotifier extends Notifier {
    private final String recipients;
    private boolean onFailure = true;
    private boolean onUnstable = true;
    private boolean onBackToNormal = true;

    @DataBoundConstructor
    public RelayMailNotifier(String recipients) {
        this.recipients = recipients == null ? "" : recipients.trim();
    }

    public String getRecipients() {
        return recipients;
    }

    public boolean isOnFailure() {
        return onFailure;
    }

    @DataBoundSetter
    public void setOnFailure(boolean onFailure) {
        this.onFailure = onFailure;
    }

    public boolean isOnUnstable() {
        return onUnstable;
    }

    @DataBoundSetter
    public void setOnUnstable(boolean onUnstable) {
        this.onUnstable = onUnstable;
    }

    public boolean isOnBackToNormal() {
        return onBackToNormal;
    }

    @DataBoundSetter
    public void setOnBackToNormal(boolean onBackToNormal) {
        this.onBackToNormal = onBackToNormal;
    }

    @Override
    public BuildStepMonitor getRequiredMonitorService() {
        return BuildStepMonitor.NONE;
    }

    /** What to say about a build that ended with {@code current} after {@code previous}, or null to stay quiet. */
    String headline(Result current, Result previous) {
        if (current == null) {
            return null;
        }
        if (current == Result.FAILURE) {
            return onFailure ? "Build failed" : null;
        }
        if (current == Result.UNSTABLE) {
            return onUnstable ? "Build is unstable" : null;
        }
        if (current == Result.SUCCESS && previous != null
                && (previous == Result.FAILURE || previous == Result.UNSTABLE)) {
            return onBackToNormal ? "Build is back to normal" : null;
        }
        return null;
    }

    @Override
    public boolean perform(AbstractBuild<?, ?> build, Launcher launcher, BuildListener listener) {
        AbstractBuild<?, ?> previous = build.getPreviousBuild();
        String headline = headline(build.getResult(), previous == null ? null : previous.getResult());
        if (headline == null) {
            return true;
        }
        String subject = headline + ": " + build.getFullDisplayName();
        String root = Jenkins.get().getRootUrl();
        String body = subject + "\n\nResult: " + build.getResult()
                + (root == null ? "" : "\nDetails: " + root + build.getUrl()) + "\n";
        try {
            JobMail.Queued queued = JobMail.submit(build, recipients, "recipients", subject, body, "text/plain", null);
            listener.getLogger().println("Outbound relay: queued " + queued.id() + " (" + headline.toLowerCase(java.util.Locale.ROOT)
                    + ") for " + queued.recipients() + " recipient(s)");
        } catch (InvalidInputException | IllegalStateException | SpoolException e) {
            listener.getLogger().println("Outbound relay: mail not sent: " + e.getMessage());
        }
        return true;
    }

    @Extension
    @Symbol("relayMailNotifier")
    public static final class DescriptorImpl extends BuildStepDescriptor<Publisher> {
        @Override
        @SuppressWarnings("rawtypes")
        public boolean isApplicable(Class<? extends AbstractProject> jobType) {
            return true;
        }

        @Override
        public String getDisplayName() {
            return "Send email through the relay";
        }
    }
}
