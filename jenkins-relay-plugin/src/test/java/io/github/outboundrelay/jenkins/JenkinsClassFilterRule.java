package io.github.outboundrelay.jenkins;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Jenkins's XStream class filter as it judges the plugin's classes once the .hpi is installed, read from
 * jenkinsci/jenkins {@code core/src/main/java/jenkins/security/ClassFilterImpl.java} at tag jenkins-2.504.3
 * ({@code isBlacklisted(Class)}, {@code isLocationWhitelisted}, {@code isPluginManifest}). XStream2 asks it for every
 * type it writes or reads ({@code core/src/main/java/hudson/util/XStream2.java}, {@code BlacklistedTypesConverter}),
 * and a refused type means "Refusing to marshal": the settings are not saved at all.
 * <ul>
 *   <li>arrays, throwables and enums pass;</li>
 *   <li>a class from a jar passes when that jar's manifest names a plugin: {@code Short-Name} with
 *       {@code Plugin-Version} or {@code Jenkins-Version}, or {@code Jenkins-ClassFilter-Whitelisted: true}. Installed,
 *       the plugin's classes come from the jars in the .hpi's WEB-INF/lib, so the rule is applied to those jars;</li>
 *   <li>a class of the Java platform passes only when it is in core's {@code whitelisted-classes.txt}.</li>
 * </ul>
 */
final class JenkinsClassFilterRule {
    /**
     * The platform classes the plugin's persisted objects use, each listed in jenkinsci/jenkins
     * {@code core/src/main/resources/jenkins/security/whitelisted-classes.txt} at jenkins-2.504.3. A new one must be
     * checked against that file before it is added here.
     */
    static final Set<String> WHITELISTED_PLATFORM_CLASSES = Set.of("java.lang.String", "java.lang.Integer",
            "java.lang.Boolean", "java.util.ArrayList");

    private final Map<String, Manifest> manifestByClass = new HashMap<>();

    /** Reads which jar of the .hpi's WEB-INF/lib holds each class, and that jar's manifest. */
    JenkinsClassFilterRule(Path hpi) {
        try (ZipFile zip = new ZipFile(hpi.toFile())) {
            for (ZipEntry jar : Collections.list(zip.entries())) {
                if (!jar.getName().startsWith("WEB-INF/lib/") || !jar.getName().endsWith(".jar")) {
                    continue;
                }
                byte[] bytes;
                try (InputStream in = zip.getInputStream(jar)) {
                    bytes = in.readAllBytes();
                }
                try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(bytes))) {
                    Manifest manifest = in.getManifest() == null ? new Manifest() : in.getManifest();
                    for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                        if (e.getName().endsWith(".class")) {
                            manifestByClass.put(e.getName().replace('/', '.').replaceAll("\\.class$", ""), manifest);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ClassFilterImpl.isPluginManifest. */
    static boolean isPluginManifest(Manifest manifest) {
        Attributes a = manifest.getMainAttributes();
        return a.getValue("Short-Name") != null && (a.getValue("Plugin-Version") != null || a.getValue("Jenkins-Version") != null)
                || "true".equals(a.getValue("Jenkins-ClassFilter-Whitelisted"));
    }

    /** Why the installed plugin's Jenkins would refuse this class, or null when it would not. */
    String refusal(Class<?> c) {
        if (c.isArray() || Throwable.class.isAssignableFrom(c) || Enum.class.isAssignableFrom(c)) {
            return null;
        }
        if (c.isPrimitive() || c.getClassLoader() == null || c.getName().startsWith("java.")) {
            return WHITELISTED_PLATFORM_CLASSES.contains(c.getName()) ? null
                    : c.getName() + " is a platform class not known to be in whitelisted-classes.txt";
        }
        Manifest manifest = manifestByClass.get(c.getName());
        if (manifest == null) {
            return c.getName() + " is in no jar of the .hpi: Jenkins would load it from elsewhere and refuse it";
        }
        return isPluginManifest(manifest) ? null
                : c.getName() + " comes from a WEB-INF/lib jar whose manifest names no plugin (Short-Name with Plugin-Version or Jenkins-Version)";
    }
}
