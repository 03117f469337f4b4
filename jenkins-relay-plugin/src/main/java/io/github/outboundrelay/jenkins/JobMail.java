package io.github.outboundrelay.jenkins;

import hudson.model.Run;
import io.github.outboundrelay.common.OutboundMessage;
import jenkins.model.Jenkins;

/**
 * A job's mail from its fields to the queue, the one path for the pipeline step and the notifier: composed, marked
 * with the run it comes from ({@link JobOrigin}), checked against what the administrator allows
 * ({@link JobMailPolicy}), then queued durably.
 */
final class JobMail {
    private JobMail() {
    }

    /** A queued mail: its spool id and how many recipients it has. */
    record Queued(String id, int recipients) {
    }

    /**
     * @param recipientsField the job's field that holds {@code to}, named in errors
     * @param from            the job's own From, or blank for the page's
     * @throws io.github.outboundrelay.common.InvalidInputException naming the job's field, when the mail may not go
     * @throws io.github.outboundrelay.common.SpoolException        when the spool refused it
     * @throws IllegalStateException                                when no relay is configured or Jenkins is stopping
     */
    static Queued submit(Run<?, ?> run, String to, String recipientsField, String subject, String body, String mimeType,
                         String from) {
        RelayConfiguration page = RelayConfiguration.get();
        OutboundMessage message = MailComposer.compose(to, subject, body, mimeType, from, page.getFromAddress(),
                JobOrigin.of(run, Jenkins.get().getRootUrl()).headers());
        page.jobMailPolicy().check(message, recipientsField);
        return new Queued(page.mailer().submit(message), message.recipients().size());
    }
}
