package io.github.outboundrelay.jenkins;

import hudson.Extension;
import hudson.ExtensionList;
import hudson.util.FormValidation;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.RelaySettings;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.GlobalConfiguration;
import jenkins.model.GlobalConfigurationCategory;
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
 */
@Extension
@Symbol("relay")
public class RelayConfiguration extends GlobalConfiguration {
    private List<RelayEndpoint> relays = new ArrayList<>();
    private String fromAddress = "";
    private String fromName = "Jenkins";
    private String replyTo = "";
    private int connectTimeout = 10;
    private int readTimeout = 30;
    private String trustPem = "";
    private String certificatePins = "";
    private int messagesPerMinute = 0;
    private int retryHours = 24;
    private boolean maskRecipients = true;
    private String testRecipient = "";

    private transient final DeliveryLog deliveryLog = new DeliveryLog(DeliveryLog.DEFAULT_CAPACITY);
    private transient RelayMailer mailer; // guarded by this

    public RelayConfiguration() {
        load();
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

    @Override
    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        relays = new ArrayList<>(); // A deleted last row is absent from the JSON: start from none.
        req.bindJSON(this, json);
        changed();
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

    /** 0 = no limit. Applied by the durable queue's throttle (not yet in this build, see RelayMailer). */
    public int getMessagesPerMinute() {
        return messagesPerMinute;
    }

    @DataBoundSetter
    public void setMessagesPerMinute(int messagesPerMinute) {
        this.messagesPerMinute = messagesPerMinute;
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

    // --- use ---

    /** The saved relays as validated settings, in failover order. @throws io.github.outboundrelay.common.InvalidInputException */
    public List<RelaySettings> relaySettings() {
        RelayForm.Shared shared = new RelayForm.Shared(fromAddress, fromName, replyTo, Integer.toString(connectTimeout),
                Integer.toString(readTimeout), trustPem, certificatePins, maskRecipients);
        RelayCredentialsLookup credentials = RelayCredentialsLookup.get();
        return relays.stream().map(r -> RelayForm.settings(r.toForm(), shared, credentials)).toList();
    }

    /** The mailer for the saved settings, built on first use after each change. */
    public synchronized RelayMailer mailer() {
        if (mailer == null) {
            mailer = new DirectRelayMailer(relaySettings(), deliveryLog);
        }
        return mailer;
    }

    /** The status page's snapshot, or null before anything was sent. */
    public synchronized RelayMailer.Status status() {
        return mailer == null ? null : mailer.status();
    }

    public DeliveryLog deliveryLog() {
        return deliveryLog;
    }

    private void changed() {
        RelayMailer old;
        synchronized (this) {
            old = mailer;
            mailer = null;
        }
        save();
        if (old != null) {
            old.close(); // Outside the lock: closing waits for messages in flight.
        }
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
        return Checks.wholeNumber(messagesPerMinute, 0, 100_000, "messages per minute, 0 for no limit");
    }

    @POST
    public FormValidation doCheckRetryHours(@QueryParameter String retryHours) {
        Checks.requireAdminister();
        return Checks.wholeNumber(retryHours, 1, 168, "hours a message is retried before it becomes a dead letter");
    }
}
