package io.github.outboundrelay.jenkins;

import hudson.AbortException;
import hudson.Extension;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.spool.SpoolException;
import java.util.Set;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.jenkinsci.plugins.workflow.steps.SynchronousNonBlockingStepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;

/**
 * {@code relayMail to: 'team@example.com', subject: 'Build ${BUILD_NUMBER}', body: '...', mimeType: 'text/html'}:
 * queues one mail durably (it survives a restart) and prints its Message-ID to the build log; returns the Message-ID
 * at once, before the relay has seen the mail. Delivery, retries and dead letters are the queue's. {@code from:} is
 * honoured only where the administrator allows it, and the page's recipient limits apply ({@link JobMailPolicy}).
 */
public final class RelayMailStep extends Step {
    private final String to;
    private final String subject;
    private final String body;
    private String mimeType = "text/plain";
    private String from = "";

    @DataBoundConstructor
    public RelayMailStep(String to, String subject, String body) {
        this.to = to;
        this.subject = subject;
        this.body = body;
    }

    public String getTo() {
        return to;
    }

    public String getSubject() {
        return subject;
    }

    public String getBody() {
        return body;
    }

    public String getMimeType() {
        return mimeType;
    }

    @DataBoundSetter
    public void setMimeType(String mimeType) {
        this.mimeType = mimeType == null || mimeType.isBlank() ? "text/plain" : mimeType.trim();
    }

    public String getFrom() {
        return from;
    }

    @DataBoundSetter
    public void setFrom(String from) {
        this.from = from == null ? "" : from.trim();
    }

    @Override
    public StepExecution start(StepContext context) {
        return new Execution(this, context);
    }

    /** Off the pipeline's CPS thread: composing and handing over may block briefly. */
    static final class Execution extends SynchronousNonBlockingStepExecution<String> {
        private static final long serialVersionUID = 1L;
        private final transient RelayMailStep step;

        Execution(RelayMailStep step, StepContext context) {
            super(context);
            this.step = step;
        }

        @Override
        protected String run() throws Exception {
            TaskListener listener = getContext().get(TaskListener.class);
            Run<?, ?> run = getContext().get(Run.class);
            JobMail.Queued queued;
            try {
                queued = JobMail.submit(run, step.to, "to", step.subject, step.body, step.mimeType, step.from);
            } catch (InvalidInputException | IllegalStateException | SpoolException e) {
                // A bad address, a refused From, no relay, a full disk, Jenkins stopping: one clean line, not queued.
                throw new AbortException("relayMail: " + e.getMessage());
            }
            listener.getLogger().println("relayMail: queued " + queued.id() + " for " + queued.recipients()
                    + " recipient(s) through the outbound relay");
            return queued.id();
        }
    }

    @Extension(optional = true)
    @Symbol("relayMail")
    public static final class DescriptorImpl extends StepDescriptor {
        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(TaskListener.class, Run.class);
        }

        @Override
        public String getFunctionName() {
            return "relayMail";
        }

        @Override
        public String getDisplayName() {
            return "Send email through the outbound relay";
        }
    }
}
