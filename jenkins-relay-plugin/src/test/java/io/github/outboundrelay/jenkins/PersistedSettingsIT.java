package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import com.thoughtworks.xstream.XStream;
import com.thoughtworks.xstream.converters.Converter;
import com.thoughtworks.xstream.converters.MarshallingContext;
import com.thoughtworks.xstream.converters.UnmarshallingContext;
import com.thoughtworks.xstream.io.HierarchicalStreamReader;
import com.thoughtworks.xstream.io.HierarchicalStreamWriter;
import com.thoughtworks.xstream.security.AnyTypePermission;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What Jenkins writes to {@code RelayConfiguration.xml} and to a job's {@code config.xml}, with the real XStream
 * 1.4.21 (the release core 2.504.3 repackages) and Jenkins's rules around it: the class filter
 * ({@link JenkinsClassFilterRule}) asked for every type, transient fields never written, no constructor or field
 * initializer run for the objects XStream creates, settings loaded into the existing instance as
 * {@code Descriptor.load()} does ({@code XmlFile.unmarshal(this)}). A real Jenkins refused to save anything when the
 * plugin jar's manifest lacked the plugin attributes; every stand-in test had passed.
 */
class PersistedSettingsIT {
    static JenkinsClassFilterRule classFilter;
    XStream xstream;
    final Set<Class<?>> typesAsked = new LinkedHashSet<>();

    @BeforeAll
    static void readHpi() {
        Path hpi = Path.of(System.getProperty("hpi.file", "target/outbound-relay.hpi"));
        classFilter = new JenkinsClassFilterRule(hpi);
    }

    @BeforeEach
    void xstreamAsJenkinsAsksIt() {
        xstream = new XStream();
        xstream.addPermission(AnyTypePermission.ANY); // Jenkins filters with ClassFilterImpl, applied below
        // Where XStream2 puts BlacklistedTypesConverter: asked first, for every type.
        xstream.registerConverter(new Converter() {
            @Override
            public boolean canConvert(Class type) {
                if (type != null) {
                    typesAsked.add(type);
                }
                return false;
            }

            @Override
            public void marshal(Object source, HierarchicalStreamWriter writer, MarshallingContext context) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Object unmarshal(HierarchicalStreamReader reader, UnmarshallingContext context) {
                throw new UnsupportedOperationException();
            }
        }, XStream.PRIORITY_VERY_HIGH);
    }

    static RelayConfiguration everyFieldSet() {
        RelayConfiguration c = new RelayConfiguration();
        c.setFromAddress("jenkins@example.com");
        c.setFromName("CI");
        c.setReplyTo("ops@example.com");
        c.setConnectTimeout(12);
        c.setReadTimeout(40);
        c.setTrustPem("-----BEGIN CERTIFICATE-----");
        c.setCertificatePins("sha256/AAAA");
        c.setMessagesPerMinute(30);
        c.setMessagesPerHour(1000);
        c.setRetryHours(48);
        c.setMaskRecipients(false);
        c.setTestRecipient("admin@example.com");
        c.setDeadLetterBodyHours(6);
        c.setMaxMessageMegabytes(40);
        c.setJobsMayChooseFrom(true);
        c.setAllowedSenderDomains("example.com, *.example.org");
        c.setAllowedRecipientDomains("example.com");
        c.setMaxRecipientsPerMail(20);
        c.setRecipientsPerMinute(100);
        c.setRecipientsPerHour(400);
        c.setBounceHost("outlook.office365.com");
        c.setBouncePort("993");
        c.setBounceTlsMode("STARTTLS");
        c.setBounceCredentialsId("bounce-mailbox");
        c.setBounceFolder("Bounces");
        c.setBounceDisposition("MOVE");
        c.setBounceMoveTo("Processed");
        c.setBouncePollMinutes(15);
        c.setHardBounceWarningPercent("4");
        c.setHardBounceCriticalPercent("8");
        c.setComplaintWarningPercent("0.05");
        c.setComplaintCriticalPercent("0.3");
        c.setSoftBounceLimit(3);
        c.setBounceVerp(true);
        RelayEndpoint primary = new RelayEndpoint("smtp.office365.com");
        primary.setPort("587");
        primary.setAuthMode(AuthMode.OAUTH2.name());
        primary.setCredentialsId("m365-app");
        primary.setTokenUrl("https://login.microsoftonline.com/tenant/oauth2/v2.0/token");
        primary.setScope("https://outlook.office365.com/.default");
        primary.setOauthUser("jenkins@example.com");
        RelayEndpoint backup = new RelayEndpoint("relay.example.com");
        backup.setTlsMode("IMPLICIT_TLS");
        backup.setCredentialsId("relay-login");
        c.setRelays(List.of(primary, backup));
        return c;
    }

    void assertEveryTypeAskedIsAllowed() {
        assertThat(typesAsked).isNotEmpty();
        List<String> refused = new ArrayList<>();
        for (Class<?> type : typesAsked) {
            String why = classFilter.refusal(type);
            if (why != null) {
                refused.add(why);
            }
        }
        assertThat(refused).as("Jenkins: 'might be dangerous, so rejecting' / 'Refusing to marshal'").isEmpty();
    }

    @Test
    void settingsAreWrittenAndReadBackWithEveryTypeTheClassFilterAllows() {
        RelayConfiguration saved = everyFieldSet();
        String xml = xstream.toXML(saved);
        RelayConfiguration loaded = new RelayConfiguration();
        xstream.fromXML(xml, loaded);

        assertThat(loaded).usingRecursiveComparison()
                .ignoringFields("deliveryLog", "mailer", "timings", "binding", "detached", "clazz", "spoolKey", "bounces",
                        "mailboxProblem").isEqualTo(saved);
        assertThat(loaded.getBounceCredentialsId()).isEqualTo("bounce-mailbox");
        assertThat(loaded.getComplaintWarningPercent()).isEqualTo("0.05");
        assertThat(loaded.getRelays().get(1).getPort()).isEqualTo("");
        assertThat(typesAsked).contains(RelayConfiguration.class, RelayEndpoint.class);
        assertEveryTypeAskedIsAllowed();
    }

    @Test
    void onlyTheSettingsThemselvesAreWritten() {
        String xml = xstream.toXML(everyFieldSet());
        assertThat(elementNames(xml, "io.github.outboundrelay.jenkins.RelayConfiguration")).containsExactlyInAnyOrder(
                "relays", "fromAddress", "fromName", "replyTo", "connectTimeout", "readTimeout", "trustPem",
                "certificatePins", "messagesPerMinute", "messagesPerHour", "retryHours", "maskRecipients", "testRecipient",
                "jobsMayChooseFrom", "allowedSenderDomains", "allowedRecipientDomains", "maxRecipientsPerMail",
                "recipientsPerMinute", "recipientsPerHour", "deadLetterBodyHours", "maxMessageMegabytes",
                "bounceHost", "bouncePort", "bounceTlsMode", "bounceCredentialsId", "bounceFolder", "bounceDisposition",
                "bounceMoveTo", "bouncePollMinutes", "hardBounceWarningPercent", "hardBounceCriticalPercent",
                "complaintWarningPercent", "complaintCriticalPercent", "softBounceLimit", "bounceVerp");
        // No queue state, no Descriptor internals, and no secret: credentials are referred to by id.
        assertThat(xml).doesNotContain("deliveryLog", "mailer", "clazz", "password", "secret", "mailboxProblem");
    }

    @Test
    void aJobsNotifierIsWrittenAndReadBackAsANewObject() throws Exception {
        RelayMailNotifier notifier = new RelayMailNotifier("team@example.com, lead@example.com");
        notifier.setOnUnstable(false);
        List<Object> publishers = new ArrayList<>(List.of(notifier)); // Project#publishers holds it in a list
        String xml = xstream.toXML(publishers);
        @SuppressWarnings("unchecked")
        List<Object> loaded = (List<Object>) xstream.fromXML(xml);

        assertThat(loaded).singleElement().usingRecursiveComparison().isEqualTo(notifier);
        assertThat(typesAsked).contains(RelayMailNotifier.class);
        assertEveryTypeAskedIsAllowed();
        assertNoTransientFieldIsLeftNull(loaded.get(0));
    }

    @Test
    void relaysAreCreatedWithoutTheirConstructorAndNeedNoTransientState() throws Exception {
        RelayConfiguration loaded = new RelayConfiguration();
        xstream.fromXML(xstream.toXML(everyFieldSet()), loaded);
        for (RelayEndpoint relay : loaded.getRelays()) {
            assertNoTransientFieldIsLeftNull(relay);
        }
    }

    @Test
    void aPortSavedAsANumberByTheFirstReleaseStillLoads() {
        String old = """
                <io.github.outboundrelay.jenkins.RelayConfiguration plugin="outbound-relay@0.1.0">
                  <relays>
                    <io.github.outboundrelay.jenkins.RelayEndpoint><host>a.example.com</host><port>0</port></io.github.outboundrelay.jenkins.RelayEndpoint>
                    <io.github.outboundrelay.jenkins.RelayEndpoint><host>b.example.com</host><port>2525</port></io.github.outboundrelay.jenkins.RelayEndpoint>
                  </relays>
                  <fromAddress>jenkins@example.com</fromAddress>
                </io.github.outboundrelay.jenkins.RelayConfiguration>""";
        xstream.ignoreUnknownElements(); // XStream2 tolerates the plugin="" attribute and unknown elements
        RelayConfiguration loaded = new RelayConfiguration();
        xstream.fromXML(old, loaded);
        assertThat(loaded.getRelays()).extracting(RelayEndpoint::getPort).containsExactly("", "2525");
    }

    @Test
    void settingsSavedBeforeTheJobMailLimitsExistedLoadWithTheirDefaults() {
        String old = """
                <io.github.outboundrelay.jenkins.RelayConfiguration plugin="outbound-relay@0.1.0">
                  <fromAddress>jenkins@example.com</fromAddress>
                  <messagesPerMinute>30</messagesPerMinute>
                </io.github.outboundrelay.jenkins.RelayConfiguration>""";
        xstream.ignoreUnknownElements();
        RelayConfiguration loaded = new RelayConfiguration();
        xstream.fromXML(old, loaded);
        assertThat(loaded.isJobsMayChooseFrom()).isFalse();
        assertThat(loaded.getMaxRecipientsPerMail()).isEqualTo(50);
        assertThat(loaded.getAllowedRecipientDomains()).isEmpty();
        assertThat(loaded.getRecipientsPerMinute()).isZero();
        // Saved before bounces existed: no mailbox, the relay vendors' limits.
        assertThat(loaded.getBounceHost()).isEmpty();
        assertThat(loaded.bounceLimits()).isEqualTo(io.github.outboundrelay.common.BounceLimits.DEFAULT);
        assertThat(loaded.getBouncePollMinutes()).isEqualTo(5);
        assertThat(loaded.getBounceTlsMode()).isEqualTo("IMPLICIT_TLS");
        assertThat(loaded.isBounceVerp()).isFalse();
    }

    @Test
    void thePluginJarIsTrustedByTheClassFilterAndAManifestWithoutPluginAttributesIsNot() throws Exception {
        Path hpi = Path.of(System.getProperty("hpi.file", "target/outbound-relay.hpi"));
        Manifest inner;
        try (ZipFile zip = new ZipFile(hpi.toFile());
             InputStream jar = zip.getInputStream(zip.getEntry("WEB-INF/lib/outbound-relay.jar"));
             java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(jar)) {
            inner = in.getManifest();
        }
        assertThat(JenkinsClassFilterRule.isPluginManifest(inner)).isTrue();
        assertThat(inner.getMainAttributes().getValue("Short-Name")).isEqualTo("outbound-relay");
        // What the jar carried before: Jenkins refused every class in it.
        Manifest bare = new Manifest(new ByteArrayInputStream(
                "Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.4.2\r\nBuild-Jdk-Spec: 17\r\n\r\n".getBytes()));
        assertThat(JenkinsClassFilterRule.isPluginManifest(bare)).isFalse();
        Attributes a = bare.getMainAttributes();
        a.putValue("Jenkins-ClassFilter-Whitelisted", "true");
        assertThat(JenkinsClassFilterRule.isPluginManifest(bare)).isTrue();
    }

    /** Jenkins creates these without a constructor: a transient field must be rebuilt by readResolve, or stay primitive. */
    static void assertNoTransientFieldIsLeftNull(Object loaded) throws IllegalAccessException {
        for (Class<?> c = loaded.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isTransient(f.getModifiers()) && !Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                    f.setAccessible(true);
                    assertThat(f.get(loaded)).as(c.getSimpleName() + "." + f.getName() + " after XStream created the object").isNotNull();
                }
            }
        }
    }

    static List<String> elementNames(String xml, String root) {
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^  <([A-Za-z]+)[ />]").matcher(xml);
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(xml).startsWith("<" + root);
        return names;
    }
}
