package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The provider compiles against a stand-in of four keycloak-model-jpa interfaces (Maven Central lacks that jar's
 * parent POM): each must declare exactly the abstract methods and super-interfaces of the real one in the Keycloak
 * distribution the tests run, or a real Keycloak would fail to load the provider.
 */
class JpaSpiStandInIT {
    static final List<String> STOOD_IN = List.of(
            "org.keycloak.connections.jpa.entityprovider.JpaEntityProvider",
            "org.keycloak.connections.jpa.entityprovider.JpaEntityProviderFactory",
            "org.keycloak.connections.jpa.JpaConnectionProvider",
            "org.keycloak.connections.jpa.JpaConnectionProviderFactory");

    @Test
    void eachStoodInInterfaceMatchesKeycloaksOwn() throws Exception {
        Path lib = Path.of(System.getProperty("keycloak.home")).resolve("lib/lib/main");
        URL[] jars;
        try (Stream<Path> files = Files.list(lib)) {
            jars = files.filter(f -> f.getFileName().toString().matches(
                            "org\\.keycloak\\.keycloak-(model-jpa|server-spi|common)-[0-9].*\\.jar|jakarta\\.persistence\\..*\\.jar"))
                    .map(JpaSpiStandInIT::url).toArray(URL[]::new);
        }
        assertThat(jars).hasSize(4);
        try (URLClassLoader real = new URLClassLoader(jars, ClassLoader.getPlatformClassLoader())) {
            for (String name : STOOD_IN) {
                Class<?> standIn = Class.forName(name);
                Class<?> original = real.loadClass(name);
                assertThat(standIn.getClassLoader()).isNotSameAs(original.getClassLoader());
                assertThat(signatures(standIn)).as(name).isEqualTo(signatures(original));
                assertThat(names(standIn.getGenericInterfaces())).as(name + " extends").isEqualTo(names(original.getGenericInterfaces()));
            }
        }
    }

    private static Set<String> signatures(Class<?> type) {
        return Arrays.stream(type.getDeclaredMethods()).filter(m -> Modifier.isAbstract(m.getModifiers()))
                .map(JpaSpiStandInIT::signature).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String signature(Method m) {
        return m.getGenericReturnType().getTypeName() + " " + m.getName() + Arrays.stream(m.getGenericParameterTypes())
                .map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(",", "(", ")"));
    }

    private static List<String> names(java.lang.reflect.Type[] types) {
        return Arrays.stream(types).map(java.lang.reflect.Type::getTypeName).toList();
    }

    private static URL url(Path p) {
        try {
            return p.toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
