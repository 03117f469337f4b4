package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.ExtensionList;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.BounceHandling;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.BounceMailboxStatus;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.DomainAllowList;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.RecipientMask;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.RetrySchedule;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.Throttle;
import io.github.outboundrelay.common.TlsMode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.GlobalConfiguration;
import jenkins.model.GlobalConfigurationCategory;
import jenkins.model.Jenkins;
import net.sf.json.JSONObject;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;
import org.kohsuke.stapler.verb.POST;

/**
 * The "Outbound Email Relay" settings: relays in failover order and what every mail shares. Shown on its own page
 * ({@link RelayManagementLink}), in its own category so it is not repeated on the system configuration page.
 * Configuration as code: {@code outboundRelay: { relay: { fromAddress: ..., relays: [...] } } } (docs/jenkins.md).
 * Owns the durable mail queue for these settings ({@link #mailer()}), which a change replaces on the same spool.
 */
@Extension
@Symbol("relay")
public class RelayConfiguration extends GlobalConfiguration {
    private static final Logger LOGGER = Logger.getLogger(RelayConfiguration.class.getName());
    static final WholeNumber MESSAGES_PER_MINUTE = new WholeNumber("messagesPerMinute", 0, 100_000, "messages per minute, 0 for no limit");
    static final WholeNumber MESSAGES_PER_HOUR = new WholeNumber("messagesPerHour", 0, 1_000_000, "messages per hour, 0 for no limit");
    static final WholeNumber RETRY_HOURS = new WholeNumber("retryHours", 1, 168, "hours a message is retried before it becomes a dead letter");
    static final WholeNumber MAX_RECIPIENTS_PER_MAIL = new WholeNumber("maxRecipientsPerMail", 1, 10_000, "the most recipients one job mail may have");
    static final WholeNumber RECIPIENTS_PER_MINUTE = new WholeNumber("recipientsPerMinute", 0, 1_000_000, "recipients per minute, 0 for no limit");
    static final WholeNumber RECIPIENTS_PER_HOUR = new WholeNumber("recipientsPerHour", 0, 10_000_000, "recipients per hour, 0 for no limit");
    static final WholeNumber DEAD_LETTER_BODY_HOURS = new WholeNumber("deadLetterBodyHours", 0, 720,
            "hours a dead letter keeps its message body, 0 to delete it at once");
    static final WholeNumber MAX_MESSAGE_MEGABYTES = new WholeNumber("maxMessageMegabytes", 1,
            (int) (RelaySettings.MAX_MAX_MESSAGE_BYTES >> 20), "the largest mail in MiB the relays accept, such as 25");

    private List<RelayEndpoint> relays = new ArrayList<>();
    private String fromAddress = "";
    private String fromName = "Jenkins";
    private String replyTo = "";
    private int connectTimeout = 10;
    private int readTimeout = 30;
    private String trustPem = "";
    private String certificatePins = "";
    private int messagesPerMinute = 0;
    private int messagesPerHour = 0;
    private int retryHours = 24;
    private int deadLetterBodyHours = 24;
    private int maxMessageMegabytes = (int) (RelaySettings.DEFAULT_MAX_MESSAGE_BYTES >> 20);
    private boolean maskRecipients = true;
    private String testRecipient = "";
    // What jobs may send (JobMailPolicy): off by default, a job sends as the page's From to at most 50 recipients.
    private boolean jobsMayChooseFrom = false;
    private String allowedSenderDomains = "";
    private String allowedRecipientDomains = "";
    private int maxRecipientsPerMail = 50;
    private int recipientsPerMinute = 0;
    private int recipientsPerHour = 0;
    // The bounce mailbox (docs/bounces.md): none while the host is empty. Its login is a "Username with password"
    // credential, referred to by id as the relays' are: no password is ever in this object or its XML.
    private String bounceHost = "";
    private String bouncePort = "";
    private String bounceTlsMode = TlsMode.IMPLICIT_TLS.name();
    private String bounceCredentialsId = "";
    private String bounceFolder = "INBOX";
    private String bounceDisposition = BounceMailboxSettings.Disposition.FLAG.name();
    private String bounceMoveTo = "";
    private int bouncePollMinutes = 5;
    // Rates as the page shows them, in percent (text, so that "abc" is refused naming the field, not bound as 0).
    private String hardBounceWarningPercent = BounceForm.percent(BounceLimits.DEFAULT.hardBounceWarning());
    private String hardBounceCriticalPercent = BounceForm.percent(BounceLimits.DEFAULT.hardBounceCritical());
    private String complaintWarningPercent = BounceForm.percent(BounceLimits.DEFAULT.complaintWarning());
    private String complaintCriticalPercent = BounceForm.percent(BounceLimits.DEFAULT.complaintCritical());
    private int softBounceLimit = BounceLimits.DEFAULT.softBounceLimit();
    // VERP (docs/bounces.md): each mail goes out with an envelope sender naming its recipient; the queue sends a
    // mail to several people as one mail per recipient (docs/architecture.md, "One envelope per recipient").
    private boolean bounceVerp = false;

    // Kept across queue switches, so the page shows what happened before the last save too.
    private transient final DeliveryLog deliveryLog = new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY);
    private transient final SpoolKey spoolKey = new SpoolKey();
    private transient final RelayMailer mailer = new RelayMailer(RelayConfiguration::openQueue, deliveryLog,
            () -> RelayMailer.spoolDirectory(Jenkins.get().getRootDir()));
    private transient final RelayBounces bounces = new RelayBounces();
    private transient volatile String mailboxProblem; // why the saved mailbox could not be used, or null
    private transient volatile RelayMailer.Timings timings = RelayMailer.Timings.DEFAULT;
    private transient volatile boolean binding; // configure() is setting fields: switch the queue once, at the end
    private final transient boolean detached; // a form's values being checked: never saved, never opens a queue

    public RelayConfiguration() {
        this.detached = false;
        load();
        mailer.settingsChanged(this, false); // the settings a queue opens with: on first use or when Jenkins started
    }

    /** Holds a submitted form's values for {@link #validate()}: its setters save nothing and open no queue. */
    private RelayConfiguration(boolean detached) {
        this.detached = detached;
    }

    /** The instance Jenkins created. */
    public static RelayConfiguration get() {
        return ExtensionList.lookupSingleton(RelayConfiguration.class);
    }

    @Override
    public String getDisplayName() {
        return "Outbound Email Relay";
    }

    @Override
    public GlobalConfigurationCategory getCategory() {
        return GlobalConfigurationCategory.get(RelayConfigurationCategory.class);
    }

    /**
     * Saves the page. The form is first bound into a detached copy and checked as the queue will use it: a value
     * the queue cannot use is refused here, naming the field, and nothing changes (the saved settings and the open
     * queue stay as they were).
     */
    @Override
    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        RelayConfiguration proposed = new RelayConfiguration(true);
        req.bindJSON(proposed, json);
        proposed.validate();
        relays = new ArrayList<>(); // A deleted last row is absent from the JSON: start from none.
        binding = true;
        try {
            req.bindJSON(this, json);
        } finally {
            binding = false;
        }
        save();
        mailer.settingsChanged(this, true); // An administrator saved the page: queued mail goes out with them now.
        return true;
    }

    // --- properties (each setter saves, as Jenkins's SampleConfiguration does; JCasC calls them too) ---

    public List<RelayEndpoint> getRelays() {
        return List.copyOf(relays);
    }

    @DataBoundSetter
    public void setRelays(List<RelayEndpoint> relays) {
        this.relays = relays == null ? new ArrayList<>() : new ArrayList<>(relays);
        changed();
    }

    public String getFromAddress() {
        return fromAddress;
    }

    @DataBoundSetter
    public void setFromAddress(String fromAddress) {
        this.fromAddress = trim(fromAddress);
        changed();
    }

    public String getFromName() {
        return fromName;
    }

    @DataBoundSetter
    public void setFromName(String fromName) {
        this.fromName = trim(fromName);
        changed();
    }

    public String getReplyTo() {
        return replyTo;
    }

    @DataBoundSetter
    public void setReplyTo(String replyTo) {
        this.replyTo = trim(replyTo);
        changed();
    }

    public int getConnectTimeout() {
        return connectTimeout;
    }

    @DataBoundSetter
    public void setConnectTimeout(int connectTimeout) {
        this.connectTimeout = connectTimeout;
        changed();
    }

    public int getReadTimeout() {
        return readTimeout;
    }

    @DataBoundSetter
    public void setReadTimeout(int readTimeout) {
        this.readTimeout = readTimeout;
        changed();
    }

    public String getTrustPem() {
        return trustPem;
    }

    @DataBoundSetter
    public void setTrustPem(String trustPem) {
        this.trustPem = trim(trustPem);
        changed();
    }

    public String getCertificatePins() {
        return certificatePins;
    }

    @DataBoundSetter
    public void setCertificatePins(String certificatePins) {
        this.certificatePins = trim(certificatePins);
        changed();
    }

    /** Mail handed to each relay per minute at most; 0 = no limit. Mail over it waits in the queue. */
    public int getMessagesPerMinute() {
        return messagesPerMinute;
    }

    @DataBoundSetter
    public void setMessagesPerMinute(int messagesPerMinute) {
        this.messagesPerMinute = messagesPerMinute;
        changed();
    }

    /** Mail handed to each relay per hour at most; 0 = no limit. */
    public int getMessagesPerHour() {
        return messagesPerHour;
    }

    @DataBoundSetter
    public void setMessagesPerHour(int messagesPerHour) {
        this.messagesPerHour = messagesPerHour;
        changed();
    }

    /** How long the durable queue keeps retrying a message before it becomes a dead letter. */
    public int getRetryHours() {
        return retryHours;
    }

    @DataBoundSetter
    public void setRetryHours(int retryHours) {
        this.retryHours = retryHours;
        changed();
    }

    /** How long dead letters keep their message body (and the links in it); 0 deletes it at once. */
    public int getDeadLetterBodyHours() {
        return deadLetterBodyHours;
    }

    @DataBoundSetter
    public void setDeadLetterBodyHours(int deadLetterBodyHours) {
        this.deadLetterBodyHours = deadLetterBodyHours;
        changed();
    }

    /** The largest mail accepted, in MiB of subject, headers and bodies; a larger one is refused when a job submits it. */
    public int getMaxMessageMegabytes() {
        return maxMessageMegabytes;
    }

    @DataBoundSetter
    public void setMaxMessageMegabytes(int maxMessageMegabytes) {
        this.maxMessageMegabytes = maxMessageMegabytes;
        changed();
    }

    public boolean isMaskRecipients() {
        return maskRecipients;
    }

    @DataBoundSetter
    public void setMaskRecipients(boolean maskRecipients) {
        this.maskRecipients = maskRecipients;
        changed();
    }

    public String getTestRecipient() {
        return testRecipient;
    }

    @DataBoundSetter
    public void setTestRecipient(String testRecipient) {
        this.testRecipient = trim(testRecipient);
        changed();
    }

    /** Whether a job's {@code from:} is honoured; off: every job mail goes out as {@link #getFromAddress()}. */
    public boolean isJobsMayChooseFrom() {
        return jobsMayChooseFrom;
    }

    @DataBoundSetter
    public void setJobsMayChooseFrom(boolean jobsMayChooseFrom) {
        this.jobsMayChooseFrom = jobsMayChooseFrom;
        changed();
    }

    /** Domains a job's From may be at when jobs may choose it; empty: the From address's domain only. */
    public String getAllowedSenderDomains() {
        return allowedSenderDomains;
    }

    @DataBoundSetter
    public void setAllowedSenderDomains(String allowedSenderDomains) {
        this.allowedSenderDomains = trim(allowedSenderDomains);
        changed();
    }

    /** Domains a job's mail may go to; empty: any. */
    public String getAllowedRecipientDomains() {
        return allowedRecipientDomains;
    }

    @DataBoundSetter
    public void setAllowedRecipientDomains(String allowedRecipientDomains) {
        this.allowedRecipientDomains = trim(allowedRecipientDomains);
        changed();
    }

    /** Recipients (to, cc and bcc) one job mail may have. */
    public int getMaxRecipientsPerMail() {
        return maxRecipientsPerMail;
    }

    @DataBoundSetter
    public void setMaxRecipientsPerMail(int maxRecipientsPerMail) {
        this.maxRecipientsPerMail = maxRecipientsPerMail;
        changed();
    }

    /** Recipients handed to each relay per minute at most, across all mail; 0 = no limit. */
    public int getRecipientsPerMinute() {
        return recipientsPerMinute;
    }

    @DataBoundSetter
    public void setRecipientsPerMinute(int recipientsPerMinute) {
        this.recipientsPerMinute = recipientsPerMinute;
        changed();
    }

    /** Recipients handed to each relay per hour at most; 0 = no limit. */
    public int getRecipientsPerHour() {
        return recipientsPerHour;
    }

    @DataBoundSetter
    public void setRecipientsPerHour(int recipientsPerHour) {
        this.recipientsPerHour = recipientsPerHour;
        changed();
    }

    /** The bounce mailbox's IMAP server; empty: no mailbox, the suppression list changes only by hand. */
    public String getBounceHost() {
        return bounceHost;
    }

    @DataBoundSetter
    public void setBounceHost(String bounceHost) {
        this.bounceHost = trim(bounceHost);
        changed();
    }

    /** Empty for the TLS mode's usual port (993 or 143). Text for the reason {@link RelayEndpoint#getPort()} gives. */
    public String getBouncePort() {
        return bouncePort;
    }

    @DataBoundSetter
    public void setBouncePort(String bouncePort) {
        this.bouncePort = trim(bouncePort);
        changed();
    }

    /** IMPLICIT_TLS or STARTTLS; never none. */
    public String getBounceTlsMode() {
        return bounceTlsMode;
    }

    @DataBoundSetter
    public void setBounceTlsMode(String bounceTlsMode) {
        this.bounceTlsMode = trim(bounceTlsMode);
        changed();
    }

    /** The mailbox login: the id of a "Username with password" credential. */
    public String getBounceCredentialsId() {
        return bounceCredentialsId;
    }

    @DataBoundSetter
    public void setBounceCredentialsId(String bounceCredentialsId) {
        this.bounceCredentialsId = trim(bounceCredentialsId);
        changed();
    }

    /** The folder the reports arrive in. */
    public String getBounceFolder() {
        return bounceFolder;
    }

    @DataBoundSetter
    public void setBounceFolder(String bounceFolder) {
        this.bounceFolder = trim(bounceFolder);
        changed();
    }

    /** What happens to a report once read: FLAG, MOVE or DELETE. */
    public String getBounceDisposition() {
        return bounceDisposition;
    }

    @DataBoundSetter
    public void setBounceDisposition(String bounceDisposition) {
        this.bounceDisposition = trim(bounceDisposition);
        changed();
    }

    /** The folder read reports are moved to with MOVE. */
    public String getBounceMoveTo() {
        return bounceMoveTo;
    }

    @DataBoundSetter
    public void setBounceMoveTo(String bounceMoveTo) {
        this.bounceMoveTo = trim(bounceMoveTo);
        changed();
    }

    /** Minutes between two reads of the mailbox. */
    public int getBouncePollMinutes() {
        return bouncePollMinutes;
    }

    @DataBoundSetter
    public void setBouncePollMinutes(int bouncePollMinutes) {
        this.bouncePollMinutes = bouncePollMinutes;
        changed();
    }

    /** Hard-bounce rate, in percent, that warns. */
    public String getHardBounceWarningPercent() {
        return hardBounceWarningPercent;
    }

    @DataBoundSetter
    public void setHardBounceWarningPercent(String hardBounceWarningPercent) {
        this.hardBounceWarningPercent = trim(hardBounceWarningPercent);
        changed();
    }

    /** Hard-bounce rate, in percent, at which relays pause senders. */
    public String getHardBounceCriticalPercent() {
        return hardBounceCriticalPercent;
    }

    @DataBoundSetter
    public void setHardBounceCriticalPercent(String hardBounceCriticalPercent) {
        this.hardBounceCriticalPercent = trim(hardBounceCriticalPercent);
        changed();
    }

    /** Complaint rate, in percent, that warns. */
    public String getComplaintWarningPercent() {
        return complaintWarningPercent;
    }

    @DataBoundSetter
    public void setComplaintWarningPercent(String complaintWarningPercent) {
        this.complaintWarningPercent = trim(complaintWarningPercent);
        changed();
    }

    /** Complaint rate, in percent, at which relays pause senders. */
    public String getComplaintCriticalPercent() {
        return complaintCriticalPercent;
    }

    @DataBoundSetter
    public void setComplaintCriticalPercent(String complaintCriticalPercent) {
        this.complaintCriticalPercent = trim(complaintCriticalPercent);
        changed();
    }

    /** Soft bounces after which an address is suppressed. */
    public int getSoftBounceLimit() {
        return softBounceLimit;
    }

    @DataBoundSetter
    public void setSoftBounceLimit(int softBounceLimit) {
        this.softBounceLimit = softBounceLimit;
        changed();
    }

    /**
     * Whether each mail goes out with a VERP envelope sender (From address {@code bounces@example.com} sends to
     * {@code ghost@example.org} as {@code bounces+ghost=example.org@example.com}), so that a report is matched to the
     * recipient by the address it returned to; a mail to several people goes as one mail per recipient. The mailbox
     * must take plus addresses.
     */
    public boolean isBounceVerp() {
        return bounceVerp;
    }

    @DataBoundSetter
    public void setBounceVerp(boolean bounceVerp) {
        this.bounceVerp = bounceVerp;
        changed();
    }

    // --- use ---

    /**
     * Checks every value as the queue will use it, relays and their credentials included.
     *
     * @throws FormException naming the first field that cannot be used, and the fix
     */
    void validate() throws FormException {
        try {
            RelayForm.Shared shared = shared();
            RelayForm.timeouts(shared);
            RelayForm.trust(shared);
            RelayForm.address("fromAddress", fromAddress);
            RelayForm.address("replyTo", replyTo);
            RelayForm.address("testRecipient", testRecipient);
            MESSAGES_PER_MINUTE.check(messagesPerMinute);
            MESSAGES_PER_HOUR.check(messagesPerHour);
            RETRY_HOURS.check(retryHours);
            jobMailPolicy();
            RECIPIENTS_PER_MINUTE.check(recipientsPerMinute);
            RECIPIENTS_PER_HOUR.check(recipientsPerHour);
            DEAD_LETTER_BODY_HOURS.check(deadLetterBodyHours);
            MAX_MESSAGE_MEGABYTES.check(maxMessageMegabytes);
            BounceForm.POLL_MINUTES.check(bouncePollMinutes);
            bounceLimits();
            bounceMailbox(); // the credential is looked up too: a mailbox that cannot log in is refused on save
            if (!relays.isEmpty() && RelayForm.blank(fromAddress)) {
                throw new InvalidInputException("fromAddress", "is empty", "Enter the address every mail is sent as, such as jenkins@example.com");
            }
        } catch (InvalidInputException e) {
            throw new FormException(e.getMessage(), e.field());
        }
        RelayCredentialsLookup credentials = RelayCredentialsLookup.get();
        for (int i = 0; i < relays.size(); i++) {
            RelayEndpoint relay = relays.get(i);
            try {
                RelayForm.settings(relay.toForm(), shared(), credentials);
            } catch (InvalidInputException e) {
                throw new FormException("Relay " + (i + 1) + " (" + relay.getHost() + "): " + e.getMessage(), e.field());
            }
        }
    }

    /** The saved relays as validated settings, in failover order. @throws io.github.outboundrelay.common.InvalidInputException */
    public List<RelaySettings> relaySettings() {
        RelayForm.Shared shared = shared();
        RelayCredentialsLookup credentials = RelayCredentialsLookup.get();
        return relays.stream().map(r -> RelayForm.settings(r.toForm(), shared, credentials))
                .map(r -> bounceVerp ? r.toBuilder().verp(true).build() : r).toList();
    }

    private RelayForm.Shared shared() {
        return new RelayForm.Shared(fromAddress, fromName, replyTo, Integer.toString(connectTimeout),
                Integer.toString(readTimeout), trustPem, certificatePins, maskRecipients,
                (long) maxMessageMegabytes << 20);
    }

    /** Each relay's rate limits. @throws io.github.outboundrelay.common.InvalidInputException when negative */
    Throttle throttle() {
        return new Throttle(messagesPerMinute, messagesPerHour, recipientsPerMinute, recipientsPerHour);
    }

    /**
     * What a job's mail may do under these settings.
     *
     * @throws InvalidInputException naming the field when a domain list or the recipient cap cannot be used
     */
    JobMailPolicy jobMailPolicy() {
        MAX_RECIPIENTS_PER_MAIL.check(maxRecipientsPerMail);
        return new JobMailPolicy(jobsMayChooseFrom,
                DomainAllowList.parse(allowedSenderDomains, "allowedSenderDomains"),
                DomainAllowList.parse(allowedRecipientDomains, "allowedRecipientDomains"),
                maxRecipientsPerMail,
                RelayForm.blank(fromAddress) ? null : MailAddress.parse(fromAddress, "fromAddress"));
    }

    /** Retries with the queue's backoff, given up after the page's retry lifetime. */
    RetrySchedule retrySchedule() {
        return RetrySchedule.builder().lifetime(Duration.ofHours(retryHours)).build();
    }

    /**
     * The durable queue for the saved settings, spooled under {@code $JENKINS_HOME/outbound-relay/spool}: opened on
     * first use or when Jenkins has started, replaced on the same spool when the settings change, closed when
     * Jenkins stops.
     */
    public RelayMailer mailer() {
        return mailer;
    }

    /**
     * What the status part of the page shows: the queue's snapshot, or why there is no queue (no relay yet, a
     * credential that no longer exists...). Opens the queue if it is not open, which also starts spooled mail.
     * Not a getter, so that Stapler never reaches it through a URL; the page (ADMINISTER only) calls it.
     */
    public DeliveryStatus deliveryStatus() {
        try {
            return new DeliveryStatus(mailer.status(), null);
        } catch (RuntimeException e) {
            return new DeliveryStatus(null, e.getMessage());
        }
    }

    /** Either a snapshot or the one line that says why there is none. */
    public record DeliveryStatus(RelayMailer.Status status, String problem) {
    }

    public DeliveryLog deliveryLog() {
        return deliveryLog;
    }

    /** Jenkins has started: opens the queue so that mail spooled before a restart goes out now. */
    void startQueue() {
        mailer.open();
    }

    /** Jenkins is stopping: sends in flight finish, the rest stays spooled, no more mail is taken. */
    void stopQueue() {
        mailer.close();
        bounces.close(); // after the queue: its last sends are counted before the counts are saved
    }

    /** Tests shorten the relay cool-down; takes effect at the next queue switch. */
    void timings(RelayMailer.Timings timings) {
        this.timings = timings;
    }

    /**
     * The queue for the saved settings, with bounce handling of its own: called by {@link RelayMailer} after the
     * previous queue let go of its spool, so the previous handling is stopped here before the next reads the list.
     */
    private MailQueue openQueue() {
        List<RelaySettings> relaySettings = relaySettings();
        if (relaySettings.isEmpty()) {
            throw new IllegalStateException("No relay is configured: add one under Manage Jenkins > Outbound Email Relay");
        }
        BounceWatch watch = bounces.reopen(this::bounceHandling, Duration.ofMinutes(bouncePollMinutes));
        return RelayMailer.openQueue(relaySettings, throttle(), retrySchedule(),
                RelayMailer.spoolDirectory(Jenkins.get().getRootDir()), atRest(), deliveryLog, timings, watch);
    }

    /** The suppression list under JENKINS_HOME, the page's limits and, when one is set, the bounce mailbox. */
    private BounceHandling bounceHandling() {
        boolean mask = maskRecipients;
        BounceMailboxSettings mailbox = null;
        try {
            mailbox = bounceMailbox();
            mailboxProblem = null;
        } catch (InvalidInputException e) {
            // Saved settings were checked, but a credential can be deleted since: mail keeps flowing, the list and
            // the rates keep working, and the page says why the mailbox is not read.
            mailboxProblem = "The bounce mailbox is not read: " + e.getMessage();
            LOGGER.log(Level.WARNING, "Outbound relay: {0}", mailboxProblem);
        }
        return BounceHandling.builder()
                .suppressionDirectory(RelayBounces.directory(Jenkins.get().getRootDir()))
                .mailbox(mailbox)
                .limits(bounceLimits())
                .deliveryLog(deliveryLog)
                .maskRecipients(mask)
                .onSuppressed(s -> LOGGER.log(Level.INFO, "Outbound relay: {0} is suppressed after a {1} report; mail to it "
                        + "is not sent until an administrator removes it from the list",
                        new Object[] {mask ? RecipientMask.mask(s.address()) : s.address(), s.reason().label()}))
                .build();
    }

    /** The bounce mailbox, or null when none is set. @throws InvalidInputException naming the field */
    BounceMailboxSettings bounceMailbox() {
        return BounceForm.mailbox(new BounceForm.Mailbox(bounceHost, bouncePort, bounceTlsMode, bounceCredentialsId,
                bounceFolder, bounceDisposition, bounceMoveTo), shared(), RelayCredentialsLookup.get(),
                bounceVerp && !RelayForm.blank(fromAddress) ? fromAddress : null); // Jenkins's envelope sender is the From
    }

    /** @throws InvalidInputException naming the field */
    BounceLimits bounceLimits() {
        return BounceForm.limits(new BounceForm.Limits(hardBounceWarningPercent, hardBounceCriticalPercent,
                complaintWarningPercent, complaintCriticalPercent, softBounceLimit));
    }

    /**
     * What the page's bounce section shows, the list filtered by {@code search} (any part of an address, any
     * case). Opens the queue if it is not open, as {@link #deliveryStatus()} does. Not a getter, so that Stapler
     * never reaches it through a URL; the page (ADMINISTER only) calls it.
     */
    public BounceView bounceView(String search) {
        String text = search == null ? "" : search.trim();
        try {
            var metrics = mailer.metrics().bounces();
            Optional<BounceHandling> handling = bounces.current();
            if (handling.isEmpty()) {
                return BounceView.unavailable("The mail queue is not open, so neither is the suppression list.");
            }
            BounceMailboxStatus status = handling.get().status().orElse(null);
            return BounceView.of(status, metrics, text, handling.get().search(text, BounceView.SHOWN), mailboxProblem);
        } catch (RuntimeException e) {
            return BounceView.unavailable(e.getMessage());
        }
    }

    /**
     * Reads the bounce mailbox now (an administrator's "poll now"), opening the queue first if needed.
     *
     * @return the status after the poll, empty when no mailbox is set
     */
    Optional<BounceMailboxStatus> pollBouncesNow() {
        mailer.open();
        return bounces.pollNow();
    }

    /** Takes an address off the suppression list: mail to it is sent again. False when it was not on it. */
    boolean removeSuppression(String address) throws IOException {
        mailer.open();
        return bounces.remove(address);
    }

    /** The entry for an address, for tests and the page. */
    Optional<Suppression> suppression(String address) {
        return bounces.current().flatMap(h -> h.get(address));
    }

    /** Bodies sealed with the key in JENKINS_HOME/secrets; dead letters keep them for the page's hours. */
    RelayMailer.AtRest atRest() {
        DEAD_LETTER_BODY_HOURS.check(deadLetterBodyHours);
        return new RelayMailer.AtRest(BodyCipher.aesGcm(spoolKey), Duration.ofHours(deadLetterBodyHours));
    }

    private void changed() {
        if (binding || detached) {
            return; // configure() saves and switches once, after the last field.
        }
        save();
        mailer.settingsChanged(this, false); // Sends in flight finish first; an open queue is replaced on the same spool.
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    // --- validation of the shared fields (POST, ADMINISTER first, see RelayEndpoint.DescriptorImpl) ---

    @POST
    public FormValidation doCheckFromAddress(@QueryParameter String fromAddress) {
        Checks.requireAdminister();
        return Checks.address("fromAddress", fromAddress, true);
    }

    @POST
    public FormValidation doCheckReplyTo(@QueryParameter String replyTo) {
        Checks.requireAdminister();
        return Checks.address("replyTo", replyTo, false);
    }

    @POST
    public FormValidation doCheckTestRecipient(@QueryParameter String testRecipient) {
        Checks.requireAdminister();
        return Checks.address("testRecipient", testRecipient, false);
    }

    @POST
    public FormValidation doCheckConnectTimeout(@QueryParameter String connectTimeout) {
        Checks.requireAdminister();
        return Checks.seconds("connectTimeout", connectTimeout, 10);
    }

    @POST
    public FormValidation doCheckReadTimeout(@QueryParameter String readTimeout) {
        Checks.requireAdminister();
        return Checks.seconds("readTimeout", readTimeout, 30);
    }

    @POST
    public FormValidation doCheckTrustPem(@QueryParameter String trustPem) {
        Checks.requireAdminister();
        return Checks.trustPem(trustPem);
    }

    @POST
    public FormValidation doCheckCertificatePins(@QueryParameter String certificatePins) {
        Checks.requireAdminister();
        return Checks.pins(certificatePins);
    }

    @POST
    public FormValidation doCheckMessagesPerMinute(@QueryParameter String messagesPerMinute) {
        Checks.requireAdminister();
        return Checks.wholeNumber(messagesPerMinute, MESSAGES_PER_MINUTE);
    }

    @POST
    public FormValidation doCheckMessagesPerHour(@QueryParameter String messagesPerHour) {
        Checks.requireAdminister();
        return Checks.wholeNumber(messagesPerHour, MESSAGES_PER_HOUR);
    }

    @POST
    public FormValidation doCheckRetryHours(@QueryParameter String retryHours) {
        Checks.requireAdminister();
        return Checks.wholeNumber(retryHours, RETRY_HOURS);
    }

    @POST
    public FormValidation doCheckAllowedSenderDomains(@QueryParameter String allowedSenderDomains) {
        Checks.requireAdminister();
        return Checks.of(() -> DomainAllowList.parse(allowedSenderDomains, "allowedSenderDomains"));
    }

    @POST
    public FormValidation doCheckAllowedRecipientDomains(@QueryParameter String allowedRecipientDomains) {
        Checks.requireAdminister();
        return Checks.of(() -> DomainAllowList.parse(allowedRecipientDomains, "allowedRecipientDomains"));
    }

    @POST
    public FormValidation doCheckMaxRecipientsPerMail(@QueryParameter String maxRecipientsPerMail) {
        Checks.requireAdminister();
        return Checks.wholeNumber(maxRecipientsPerMail, MAX_RECIPIENTS_PER_MAIL);
    }

    @POST
    public FormValidation doCheckRecipientsPerMinute(@QueryParameter String recipientsPerMinute) {
        Checks.requireAdminister();
        return Checks.wholeNumber(recipientsPerMinute, RECIPIENTS_PER_MINUTE);
    }

    @POST
    public FormValidation doCheckRecipientsPerHour(@QueryParameter String recipientsPerHour) {
        Checks.requireAdminister();
        return Checks.wholeNumber(recipientsPerHour, RECIPIENTS_PER_HOUR);
    }

    @POST
    public FormValidation doCheckDeadLetterBodyHours(@QueryParameter String deadLetterBodyHours) {
        Checks.requireAdminister();
        return Checks.wholeNumber(deadLetterBodyHours, DEAD_LETTER_BODY_HOURS);
    }

    @POST
    public FormValidation doCheckMaxMessageMegabytes(@QueryParameter String maxMessageMegabytes) {
        Checks.requireAdminister();
        return Checks.wholeNumber(maxMessageMegabytes, MAX_MESSAGE_MEGABYTES);
    }

    @POST
    public FormValidation doCheckBounceHost(@QueryParameter String bounceHost) {
        Checks.requireAdminister();
        return Checks.bounceHost(bounceHost);
    }

    @POST
    public FormValidation doCheckBouncePort(@QueryParameter String bouncePort, @QueryParameter String bounceTlsMode) {
        Checks.requireAdminister();
        return Checks.bouncePort(bouncePort, bounceTlsMode);
    }

    @POST
    public FormValidation doCheckBounceTlsMode(@QueryParameter String bounceTlsMode) {
        Checks.requireAdminister();
        return Checks.of(() -> BounceForm.tlsMode(bounceTlsMode));
    }

    @POST
    public FormValidation doCheckBounceCredentialsId(@QueryParameter String bounceHost, @QueryParameter String bounceCredentialsId) {
        Checks.requireAdminister();
        if (RelayForm.blank(bounceHost)) {
            return FormValidation.ok();
        }
        return Checks.of(() -> BounceForm.login(bounceCredentialsId, RelayCredentialsLookup.get()));
    }

    @POST
    public ListBoxModel doFillBounceCredentialsIdItems(@QueryParameter String bounceCredentialsId) {
        Checks.requireAdminister();
        return RelayCredentialsLookup.get().choices(bounceCredentialsId);
    }

    @POST
    public ListBoxModel doFillBounceTlsModeItems() {
        Checks.requireAdminister();
        ListBoxModel items = new ListBoxModel();
        items.add("Implicit TLS (port 993)", TlsMode.IMPLICIT_TLS.name());
        items.add("STARTTLS (port 143)", TlsMode.STARTTLS.name());
        return items;
    }

    @POST
    public ListBoxModel doFillBounceDispositionItems() {
        Checks.requireAdminister();
        ListBoxModel items = new ListBoxModel();
        items.add("Mark as read and flag it processed", BounceMailboxSettings.Disposition.FLAG.name());
        items.add("Move to the folder below", BounceMailboxSettings.Disposition.MOVE.name());
        items.add("Delete it", BounceMailboxSettings.Disposition.DELETE.name());
        return items;
    }

    @POST
    public FormValidation doCheckBounceMoveTo(@QueryParameter String bounceDisposition, @QueryParameter String bounceMoveTo) {
        Checks.requireAdminister();
        boolean move = BounceMailboxSettings.Disposition.MOVE.name().equals(bounceDisposition);
        return move && RelayForm.blank(bounceMoveTo)
                ? FormValidation.error("Is empty. Give the folder processed reports are moved to, such as Processed.")
                : FormValidation.ok();
    }

    @POST
    public FormValidation doCheckBouncePollMinutes(@QueryParameter String bouncePollMinutes) {
        Checks.requireAdminister();
        return Checks.wholeNumber(bouncePollMinutes, BounceForm.POLL_MINUTES);
    }

    @POST
    public FormValidation doCheckHardBounceWarningPercent(@QueryParameter String hardBounceWarningPercent) {
        Checks.requireAdminister();
        return Checks.of(() -> BounceForm.rate("hardBounceWarningPercent", hardBounceWarningPercent));
    }

    @POST
    public FormValidation doCheckHardBounceCriticalPercent(@QueryParameter String hardBounceCriticalPercent) {
        Checks.requireAdminister();
        return Checks.of(() -> BounceForm.rate("hardBounceCriticalPercent", hardBounceCriticalPercent));
    }

    @POST
    public FormValidation doCheckComplaintWarningPercent(@QueryParameter String complaintWarningPercent) {
        Checks.requireAdminister();
        return Checks.of(() -> BounceForm.rate("complaintWarningPercent", complaintWarningPercent));
    }

    @POST
    public FormValidation doCheckComplaintCriticalPercent(@QueryParameter String complaintCriticalPercent) {
        Checks.requireAdminister();
        return Checks.of(() -> BounceForm.rate("complaintCriticalPercent", complaintCriticalPercent));
    }

    @POST
    public FormValidation doCheckSoftBounceLimit(@QueryParameter String softBounceLimit) {
        Checks.requireAdminister();
        return Checks.wholeNumber(softBounceLimit, BounceForm.SOFT_BOUNCE_LIMIT);
    }
}
