package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import hudson.Extension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import net.java.sezpoz.Index;
import net.java.sezpoz.IndexItem;
import org.jenkinsci.Symbol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The built target/outbound-relay.hpi, opened as Jenkins's Deploy Plugin would: manifest, WEB-INF/lib, indexes. */
class HpiContentsIT {
    static Path hpi;
    static Manifest manifest;
    static List<String> libraries;
    static byte[] pluginJar;

    @BeforeAll
    static void open() throws IOException {
        hpi = Path.of(System.getProperty("hpi.file", "target/outbound-relay.hpi"));
        assertThat(hpi).exists();
        try (ZipFile zip = new ZipFile(hpi.toFile())) {
            try (InputStream in = zip.getInputStream(zip.getEntry("META-INF/MANIFEST.MF"))) {
                manifest = new Manifest(in);
            }
            libraries = Collections.list(zip.entries()).stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("WEB-INF/lib/") && n.endsWith(".jar")).map(n -> n.substring("WEB-INF/lib/".length())).sorted().toList();
            try (InputStream in = zip.getInputStream(zip.getEntry("WEB-INF/lib/outbound-relay.jar"))) {
                pluginJar = in.readAllBytes();
            }
        }
    }

    static List<String> pluginJarEntries() throws IOException {
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(pluginJar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }

    static String pluginJarText(String entry) throws IOException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(pluginJar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(entry)) {
                    return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
        }
        throw new AssertionError(entry + " is not in the plugin jar");
    }

    @Test
    void manifestDeclaresIdentityBaselineJavaAndDependencies() {
        Attributes a = manifest.getMainAttributes();
        assertThat(a.getValue("Manifest-Version")).isEqualTo("1.0");
        assertThat(a.getValue("Short-Name")).isEqualTo("outbound-relay");
        assertThat(a.getValue("Long-Name")).isEqualTo("Outbound Email Relay");
        assertThat(a.getValue("Group-Id")).isEqualTo("io.github.outboundrelay");
        assertThat(a.getValue("Artifact-Id")).isEqualTo("outbound-relay");
        assertThat(a.getValue("Plugin-Version")).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(a.getValue("Jenkins-Version")).isEqualTo(System.getProperty("jenkins.baseline", "2.504.3"));
        assertThat(a.getValue("Minimum-Java-Version")).isEqualTo("17");
        assertThat(a.getValue("Url")).startsWith("https://");
        assertThat(a.getValue("Plugin-Developers")).isNotBlank();
        assertThat(a.getValue("Plugin-Dependencies")).isEqualTo(System.getProperty("hpi.dependencies"))
                .matches("credentials:[^,;]+,workflow-step-api:[^,;]+;resolution:=optional");
    }

    @Test
    void webInfLibHoldsThePluginRelayCommonAndMailButNoJenkinsApi() {
        assertThat(libraries).containsExactlyInAnyOrder("outbound-relay.jar", "relay-common-0.1.0-SNAPSHOT.jar",
                "jakarta.mail-api-2.1.5.jar", "angus-mail-2.0.5.jar", "jakarta.activation-api-2.1.4.jar", "angus-activation-2.0.3.jar");
        assertThat(libraries).noneMatch(n -> n.contains("standin") || n.contains("servlet") || n.contains("spring")
                || n.contains("sezpoz") || n.contains("subetha") || n.contains("bcp"));
    }

    @Test
    void pluginJarHoldsClassesViewsIndexJellyAndNoStandInClass() throws IOException {
        List<String> entries = pluginJarEntries();
        assertThat(entries).contains("index.jelly", "META-INF/annotations/hudson.Extension", "META-INF/annotations/org.jenkinsci.Symbol",
                "io/github/outboundrelay/jenkins/RelayConfiguration.class",
                "io/github/outboundrelay/jenkins/RelayConfiguration/config.jelly",
                "io/github/outboundrelay/jenkins/RelayEndpoint/config.jelly",
                "io/github/outboundrelay/jenkins/RelayManagementLink/index.jelly");
        assertThat(entries.stream().filter(e -> e.endsWith(".class")))
                .allMatch(e -> e.startsWith("io/github/outboundrelay/jenkins/"));
    }

    @Test
    void extensionIndexListsEveryExtensionClass() throws Exception {
        Path unpacked = Files.createTempDirectory("hpi-plugin-jar");
        Path jar = unpacked.resolve("outbound-relay.jar");
        Files.write(jar, pluginJar);
        Set<String> expected = PluginClassesForTests.all().stream().filter(c -> c.isAnnotationPresent(Extension.class))
                .map(Class::getName).collect(Collectors.toSet());
        Set<String> indexed = new java.util.HashSet<>();
        // Read the index from the packaged jar alone, as Jenkins's sezpoz finder does from the plugin's class loader.
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()},
                HpiContentsIT.class.getClassLoader()) {
            @Override
            public java.util.Enumeration<java.net.URL> getResources(String name) throws IOException {
                return findResources(name); // Only this jar's index, not the test classpath's.
            }
        }) {
            for (IndexItem<Extension, Object> item : Index.load(Extension.class, Object.class, loader)) {
                indexed.add(item.className());
            }
        }
        assertThat(indexed).isEqualTo(expected).hasSize(7);
        Set<String> symbols = Set.of(pluginJarText("META-INF/annotations/org.jenkinsci.Symbol").split("\n"));
        assertThat(symbols).containsExactlyInAnyOrderElementsOf(PluginClassesForTests.all().stream()
                .filter(c -> c.isAnnotationPresent(Symbol.class)).map(Class::getName).toList());
    }

    @Test
    void queueLifecycleIsIndexedForJenkinsStartAndStop() throws IOException {
        // Jenkins's InitializerFinder and TerminatorFinder read these indexes (annotation-indexer's Index.list).
        assertThat(pluginJarText("META-INF/annotations/hudson.init.Initializer").split("\n"))
                .containsExactly(MailQueueLifecycle.class.getName());
        assertThat(pluginJarText("META-INF/annotations/hudson.init.Terminator").split("\n"))
                .containsExactly(MailQueueLifecycle.class.getName());
    }

    @Test
    void symbolsAreTheDocumentedOnes() {
        assertThat(RelayConfigurationCategory.class.getAnnotation(Symbol.class).value()).containsExactly("outboundRelay");
        assertThat(RelayConfiguration.class.getAnnotation(Symbol.class).value()).containsExactly("relay");
        assertThat(RelayMailStep.DescriptorImpl.class.getAnnotation(Symbol.class).value()).containsExactly("relayMail");
        assertThat(((AnnotatedElement) RelayMailNotifier.DescriptorImpl.class).getAnnotation(Symbol.class).value()).containsExactly("relayMailNotifier");
    }
}
