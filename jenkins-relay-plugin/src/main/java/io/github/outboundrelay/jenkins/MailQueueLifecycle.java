package io.github.outboundrelay.jenkins;

import hudson.init.InitMilestone;
import hudson.init.Initializer;
import hudson.init.Terminator;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * Starts the durable mail queue when Jenkins has started and closes it when Jenkins stops. Public with public
 * static methods because Jenkins calls them by reflection ({@code TaskMethodFinder}, found through the
 * {@code META-INF/annotations/hudson.init.*} indexes). Neither may fail Jenkins's start or stop: problems are logged.
 */
public final class MailQueueLifecycle {
    private static final Logger LOGGER = Logger.getLogger(MailQueueLifecycle.class.getName());

    private MailQueueLifecycle() {
    }

    /**
     * After jobs are loaded, when credentials and configuration as code are in place: mail spooled before the
     * restart is delivered without waiting for the next job to send some. With no relay configured yet, nothing
     * opens; the mail stays spooled until one is. Not fatal: whatever goes wrong here (even a linkage error, which
     * the catch below does not see), Jenkins starts; job mail then reports the problem when it is submitted.
     */
    @Initializer(after = InitMilestone.JOB_CONFIG_ADAPTED, fatal = false)
    public static void openQueue() {
        RelayConfiguration configuration = configuration();
        if (configuration == null || configuration.getRelays().isEmpty()) {
            return;
        }
        try {
            configuration.startQueue();
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: the mail queue did not start; queued mail stays in the spool "
                    + "until the settings work: {0}", e.getMessage());
        }
    }

    /**
     * Early in Jenkins's shutdown (terminators run before builds are stopped): sends in flight finish for up to
     * 10 s, the rest stays spooled for the next start, and mail submitted after this is refused with one line.
     */
    @Terminator
    public static void closeQueue() {
        RelayConfiguration configuration = configuration();
        if (configuration == null) {
            return;
        }
        try {
            configuration.stopQueue();
        } catch (RuntimeException e) {
            LOGGER.log(Level.WARNING, "Outbound relay: closing the mail queue failed; queued mail stays in the spool", e);
        }
    }

    private static RelayConfiguration configuration() {
        if (Jenkins.getInstanceOrNull() == null) {
            return null;
        }
        try {
            return RelayConfiguration.get();
        } catch (IllegalStateException e) {
            return null; // The plugin's extensions are not loaded (a failed plugin start): nothing was opened.
        }
    }
}
