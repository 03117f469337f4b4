package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.Introspector;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.kohsuke.stapler.QueryParameter;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Every Jelly view parses, escapes by default, binds only real properties, and its buttons post what the method reads. */
class JellyViewsTest {
    static final Path VIEWS = Path.of("src", "main", "resources");

    static List<Path> views() throws IOException {
        try (Stream<Path> files = Files.walk(VIEWS)) {
            return files.filter(p -> p.toString().endsWith(".jelly")).sorted().toList();
        }
    }

    static Document parse(Path view) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(view.toFile());
    }

    /** The class a view belongs to: views live in a folder named after it. */
    static Class<?> owner(Path view) throws ClassNotFoundException {
        String name = VIEWS.relativize(view.getParent()).toString().replace('/', '.');
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            int dot = name.lastIndexOf('.');
            return Class.forName(name.substring(0, dot) + "$" + name.substring(dot + 1));
        }
    }

    static List<Element> elements(Document doc, String localName) {
        List<Element> out = new ArrayList<>();
        NodeList all = doc.getElementsByTagNameNS("*", localName);
        for (int i = 0; i < all.getLength(); i++) {
            out.add((Element) all.item(i));
        }
        return out;
    }

    @Test
    void everyViewIsWellFormedAndEscapesByDefault() throws Exception {
        List<Path> views = views();
        assertThat(views).hasSizeGreaterThanOrEqualTo(6);
        for (Path view : views) {
            parse(view);
            assertThat(Files.readString(view)).as(view.toString()).startsWith("<?jelly escape-by-default='true'?>");
        }
    }

    @Test
    void everyFieldNamesAPropertyOfItsClass() throws Exception {
        for (Path view : views()) {
            if (view.getFileName().toString().equals("index.jelly")) {
                continue;
            }
            Class<?> owner = owner(view);
            Set<String> properties = Arrays.stream(Introspector.getBeanInfo(owner).getPropertyDescriptors())
                    .filter(p -> p.getReadMethod() != null).map(java.beans.PropertyDescriptor::getName).collect(Collectors.toSet());
            for (Document doc : List.of(parse(view))) {
                NodeList all = doc.getElementsByTagNameNS("*", "*");
                for (int i = 0; i < all.getLength(); i++) {
                    String field = ((Element) all.item(i)).getAttribute("field");
                    if (!field.isEmpty()) {
                        assertThat(properties).as(view + ": field=\"" + field + "\"").contains(field);
                    }
                }
            }
        }
    }

    @Test
    void validateButtonsPostExactlyTheQueryParametersOfTheirMethod() throws Exception {
        int buttons = 0;
        for (Path view : views()) {
            Document doc = parse(view);
            for (Element button : elements(doc, "validateButton")) {
                String methodName = "do" + Character.toUpperCase(button.getAttribute("method").charAt(0)) + button.getAttribute("method").substring(1);
                Class<?> owner = owner(view);
                Class<?> descriptor = Class.forName(owner.getName() + "$DescriptorImpl");
                Method method = Arrays.stream(descriptor.getMethods()).filter(m -> m.getName().equals(methodName)).findFirst()
                        .orElseThrow(() -> new AssertionError(view + ": no " + methodName + " on " + descriptor));
                List<String> parameters = Arrays.stream(method.getParameters()).filter(p -> p.isAnnotationPresent(QueryParameter.class))
                        .map(Parameter::getName).toList();
                assertThat(List.of(button.getAttribute("with").split(","))).as(view + " " + methodName)
                        .containsExactlyElementsOf(parameters);
                buttons++;
            }
        }
        assertThat(buttons).isEqualTo(2);
    }

    @Test
    void buttonsNamesFromOutsideTheRowExistOnThePage() throws Exception {
        // with= names not in the relay row are found by the browser in the page's shared fields.
        Path page = VIEWS.resolve("io/github/outboundrelay/jenkins/RelayConfiguration/config.jelly");
        Set<String> pageFields = elements(parse(page), "entry").stream().map(e -> e.getAttribute("field")).collect(Collectors.toSet());
        Path row = VIEWS.resolve("io/github/outboundrelay/jenkins/RelayEndpoint/config.jelly");
        Set<String> rowFields = elements(parse(row), "entry").stream().map(e -> e.getAttribute("field")).collect(Collectors.toSet());
        for (Element button : elements(parse(row), "validateButton")) {
            for (String name : button.getAttribute("with").split(",")) {
                assertThat(rowFields.contains(name) || pageFields.contains(name)).as(name).isTrue();
            }
        }
        assertThat(Map.of("fromAddress", pageFields.contains("fromAddress"))).containsEntry("fromAddress", true);
    }

    @Test
    void passwordsAreNeverPlainTextboxes() throws Exception {
        for (Path view : views()) {
            String text = Files.readString(view);
            assertThat(text).as(view.toString()).doesNotContainPattern("field=\"[^\"]*(?i:password|secret)[^\"]*\"");
        }
    }
}
