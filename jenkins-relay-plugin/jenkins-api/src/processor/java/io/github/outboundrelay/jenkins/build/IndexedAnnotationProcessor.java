package io.github.outboundrelay.jenkins.build;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.StandardLocation;

/**
 * Writes {@code META-INF/annotations/<annotation>} for every annotation meta-annotated with
 * {@code org.jvnet.hudson.annotation_indexer.Indexed} (such as {@code @Symbol}): one binary class name per line,
 * sorted, the format annotation-indexer's {@code Index.list} reads at run time. Jenkins's own processor (in
 * annotation-indexer) is not on Maven Central, so this build carries an equivalent; it is build tooling, never
 * packaged into the .hpi.
 */
@SupportedAnnotationTypes("*")
public final class IndexedAnnotationProcessor extends AbstractProcessor {
    private static final String INDEXED = "org.jvnet.hudson.annotation_indexer.Indexed";

    private final Map<String, Set<String>> uses = new HashMap<>();
    private final Map<String, Set<Element>> origins = new HashMap<>();

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        if (round.processingOver()) {
            uses.forEach(this::write);
            return false;
        }
        for (TypeElement annotation : annotations) {
            boolean indexed = annotation.getAnnotationMirrors().stream()
                    .anyMatch(m -> ((TypeElement) m.getAnnotationType().asElement()).getQualifiedName().contentEquals(INDEXED));
            if (!indexed) {
                continue;
            }
            String name = processingEnv.getElementUtils().getBinaryName(annotation).toString();
            for (Element e : round.getElementsAnnotatedWith(annotation)) {
                Element type = e instanceof TypeElement ? e : e.getEnclosingElement();
                uses.computeIfAbsent(name, k -> new TreeSet<>())
                        .add(processingEnv.getElementUtils().getBinaryName((TypeElement) type).toString());
                origins.computeIfAbsent(name, k -> new HashSet<>()).add(e);
            }
        }
        return false;
    }

    private void write(String annotation, Set<String> classes) {
        try {
            var file = processingEnv.getFiler().createResource(StandardLocation.CLASS_OUTPUT, "",
                    "META-INF/annotations/" + annotation, origins.get(annotation).toArray(new Element[0]));
            try (Writer w = file.openWriter(); PrintWriter out = new PrintWriter(w)) {
                classes.forEach(out::println);
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "cannot write the index of " + annotation + ": " + e);
        }
    }
}
