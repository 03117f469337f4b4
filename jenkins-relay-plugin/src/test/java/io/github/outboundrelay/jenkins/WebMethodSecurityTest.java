package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hudson.Extension;
import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;
import org.springframework.security.access.AccessDeniedException;

/**
 * The rules of Jenkins's security advisories on mail plugins, checked over every class the plugin compiles to:
 * web methods are POST-only and check ADMINISTER before any I/O; bound properties can be read back (so a saved form
 * round-trips); passwords are never plain strings.
 */
class WebMethodSecurityTest {

    static List<Method> webMethods() {
        List<Method> methods = new ArrayList<>();
        for (Class<?> c : PluginClassesForTests.all()) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && m.getName().matches("do[A-Z].*")) {
                    methods.add(m);
                }
            }
        }
        return methods;
    }

    @Test
    void everyWebMethodIsPostOnly() {
        List<Method> methods = webMethods();
        assertThat(methods).extracting(Method::getName).contains("doTestConnection", "doSendTestEmail",
                "doFillCredentialsIdItems", "doCheckHost", "doCheckMessagesPerHour", "doConfigure", "doRetryDeadLetter",
                "doPurgeDeadLetter", "doPurgeDeadLetters", "doPollBounces", "doRemoveSuppression", "doCheckBounceHost",
                "doFillBounceCredentialsIdItems", "doCheckSoftBounceLimit");
        assertThat(methods).allSatisfy(m -> assertThat(m.isAnnotationPresent(POST.class)).as(m.toString()).isTrue());
    }

    @Test
    void everyWebMethodChecksAdministerBeforeAnyConnection(@TempDir File home) throws Exception {
        try (LoopbackRelayForTests loopback = new LoopbackRelayForTests();
             RecordingJenkinsForTests jenkins = RecordingJenkinsForTests.anonymous(home, new InMemoryCredentialsForTests(Map.of(
                     "relay-login", InMemoryCredentialsForTests.usernamePassword("relay-login", LoopbackRelayForTests.USER,
                             LoopbackRelayForTests.PASSWORD))))) {
            RelayConfiguration page = new RelayConfiguration();
            jenkins.register(page);
            Map<Class<?>, Object> targets = Map.of(RelayEndpoint.DescriptorImpl.class, new RelayEndpoint.DescriptorImpl(),
                    RelayConfiguration.class, page, RelayManagementLink.class, new RelayManagementLink());
            List<Method> methods = webMethods();
            assertThat(targets.keySet()).containsExactlyInAnyOrderElementsOf(methods.stream().map(Method::getDeclaringClass).distinct().toList());
            for (Method m : methods) {
                jenkins.events.clear();
                Object[] args = Arrays.stream(m.getParameters()).map(p -> valueFor(p, loopback)).toArray();
                assertThatThrownBy(() -> invoke(m, targets.get(m.getDeclaringClass()), args)).as(m.toString())
                        .isInstanceOf(AccessDeniedException.class);
                assertThat(jenkins.events).as(m.toString()).containsExactly("checkPermission hudson.model.Hudson.Administer denied");
            }
            assertThat(loopback.relay.connections()).as("connections the relay saw from denied calls").isZero();
        }
    }

    @Test
    void anAdministratorsTestConnectionChecksFirstThenConnects(@TempDir File home) throws Exception {
        try (LoopbackRelayForTests loopback = new LoopbackRelayForTests();
             RecordingJenkinsForTests jenkins = RecordingJenkinsForTests.administrator(home, new InMemoryCredentialsForTests(Map.of()))) {
            var v = new RelayEndpoint.DescriptorImpl().doTestConnection("127.0.0.1", loopback.port(), "STARTTLS", "NONE", "",
                    "", "", "", "ci@example.com", "", "5", "5", loopback.certificate.pem(), "");
            assertThat(jenkins.events).containsExactly("checkPermission hudson.model.Hudson.Administer granted");
            assertThat(loopback.relay.connections()).isEqualTo(1);
            assertThat(v.renderHtml()).contains("530 5.7.0 Authentication required"); // The relay requires AUTH; the form chose none.
        }
    }

    private static Object valueFor(Parameter p, LoopbackRelayForTests loopback) {
        QueryParameter q = p.getAnnotation(QueryParameter.class);
        String name = q == null ? "" : (q.value().isEmpty() ? p.getName() : q.value());
        if (p.getType() != String.class) {
            return null; // StaplerRequest2: never reached before the permission check.
        }
        return switch (name) {
            case "host" -> "127.0.0.1";
            case "port" -> loopback.port();
            case "tlsMode" -> "STARTTLS";
            case "authMode" -> "PASSWORD";
            case "credentialsId" -> "relay-login";
            case "fromAddress" -> "ci@example.com";
            case "testRecipient" -> "admin@example.com";
            case "trustPem" -> loopback.certificate.pem();
            default -> "";
        };
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void webMethodParametersKeepTheirNamesForStapler() {
        // Stapler binds @QueryParameter by parameter name: without -parameters (or an explicit value) they are arg0...
        for (Method m : webMethods()) {
            for (Parameter p : m.getParameters()) {
                if (p.isAnnotationPresent(QueryParameter.class)) {
                    assertThat(p.isNamePresent()).as(m + " " + p).isTrue();
                }
            }
        }
    }

    @Test
    void everyDataBoundSetterHasAGetter() {
        for (Class<?> c : PluginClassesForTests.all()) {
            for (Method setter : c.getDeclaredMethods()) {
                if (!setter.isAnnotationPresent(DataBoundSetter.class)) {
                    continue;
                }
                String property = setter.getName().substring(3);
                boolean hasGetter = Arrays.stream(c.getMethods()).anyMatch(g -> g.getParameterCount() == 0
                        && (g.getName().equals("get" + property) || g.getName().equals("is" + property))
                        && g.getReturnType() == setter.getParameterTypes()[0]);
                assertThat(hasGetter).as(c.getName() + "." + setter.getName() + " has a getter of the same type").isTrue();
            }
        }
    }

    @Test
    void passwordsAndTokensAreNeverPlainStrings() {
        for (Class<?> c : PluginClassesForTests.all()) {
            for (Field f : c.getDeclaredFields()) {
                String name = f.getName().toLowerCase(Locale.ROOT);
                if (name.contains("password") || name.contains("secret") || name.contains("token") && !name.contains("tokenurl")) {
                    assertThat(f.getType()).as(c.getName() + "." + f.getName()).isNotEqualTo(String.class);
                }
            }
        }
    }

    @Test
    void extensionsAreTheExpectedOnes() {
        assertThat(PluginClassesForTests.all().stream().filter(c -> c.isAnnotationPresent(Extension.class)).map(Class::getSimpleName))
                .containsExactlyInAnyOrder("FromCredentialsPlugin", "RelayConfiguration", "RelayConfigurationCategory",
                        "DescriptorImpl", "RelayManagementLink", "DescriptorImpl", "DescriptorImpl");
    }
}
