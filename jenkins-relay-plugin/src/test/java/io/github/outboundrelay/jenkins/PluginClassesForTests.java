package io.github.outboundrelay.jenkins;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Every class the plugin compiles to (target/classes), nested and anonymous ones included. */
final class PluginClassesForTests {
    static final Path CLASSES = Path.of("target", "classes");

    private PluginClassesForTests() {
    }

    static List<Class<?>> all() {
        try (Stream<Path> files = Files.walk(CLASSES)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> CLASSES.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .sorted()
                    .map(PluginClassesForTests::load)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, PluginClassesForTests.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
