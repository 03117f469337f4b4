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

    static final Path STATUS_PAGE = VIEWS.resolve("io/github/outboundrelay/jenkins/RelayManagementLink/index.jelly");

    @Test
    void statusPageFormsPostToAdministerCheckedMethodsWithTheFieldsTheyRead() throws Exception {
        Set<String> actions = new java.util.TreeSet<>();
        for (Element form : elements(parse(STATUS_PAGE), "form")) {
            String action = form.getAttribute("action");
            if (action.equals("configure")) {
                continue; // The settings form: bound by configure(req, json), not by query parameters.
            }
            if (action.equals(".")) {
                // The suppression list's search: a GET of this same page with a query string, which changes nothing.
                assertThat(form.getAttribute("method")).as("a form to the page itself").isEqualTo("get");
                continue;
            }
            assertThat(form.getAttribute("method")).as(action).isEqualTo("post");
            String methodName = "do" + Character.toUpperCase(action.charAt(0)) + action.substring(1);
            Method method = Arrays.stream(RelayManagementLink.class.getMethods()).filter(m -> m.getName().equals(methodName))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + methodName + " for form action " + action));
            assertThat(method.isAnnotationPresent(org.kohsuke.stapler.verb.POST.class)).as(methodName).isTrue();
            List<String> posted = new ArrayList<>();
            NodeList inputs = form.getElementsByTagName("input");
            for (int i = 0; i < inputs.getLength(); i++) {
                posted.add(((Element) inputs.item(i)).getAttribute("name"));
            }
            List<String> read = Arrays.stream(method.getParameters()).filter(p -> p.isAnnotationPresent(QueryParameter.class))
                    .map(Parameter::getName).toList();
            assertThat(posted).as(methodName).containsExactlyElementsOf(read);
            actions.add(action);
        }
        assertThat(actions).containsExactly("pollBounces", "purgeDeadLetter", "purgeDeadLetters", "removeSuppression",
                "retryDeadLetter");
    }

    /**
     * No Jelly runtime exists here, so the status page's expressions are type-checked instead: each chain such as
     * {@code status.metrics().sent()} must name a real zero-argument method or getter, starting from {@code it} (the
     * page's object) and from the variables the page sets with {@code j:set} and {@code j:forEach}. A typo would
     * otherwise first show as an empty cell in a real Jenkins.
     */
    @Test
    void statusPageExpressionsNameRealMethods() throws Exception {
        Map<String, java.lang.reflect.Type> variables = new java.util.HashMap<>(Map.of("it", RelayManagementLink.class));
        Document doc = parse(STATUS_PAGE);
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        int checked = 0;
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            for (int a = 0; a < e.getAttributes().getLength(); a++) {
                checked += checkExpressions(e.getAttributes().item(a).getNodeValue(), variables);
            }
            for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n.getNodeType() == org.w3c.dom.Node.TEXT_NODE) {
                    checked += checkExpressions(n.getNodeValue(), variables);
                }
            }
            if (e.getLocalName().equals("set")) {
                variables.put(e.getAttribute("var"), typeOf(expression(e.getAttribute("value")), variables));
            } else if (e.getLocalName().equals("forEach")) {
                java.lang.reflect.Type list = typeOf(expression(e.getAttribute("items")), variables);
                assertThat(list).as(e.getAttribute("items")).isInstanceOf(java.lang.reflect.ParameterizedType.class);
                variables.put(e.getAttribute("var"), ((java.lang.reflect.ParameterizedType) list).getActualTypeArguments()[0]);
            }
        }
        assertThat(variables).containsKeys("view", "status", "m", "r", "f", "e", "d", "b", "mb", "rate", "w", "s");
        assertThat(checked).isGreaterThan(100);
    }

    private static final java.util.regex.Pattern EXPRESSION = java.util.regex.Pattern.compile("\\$\\{([^%][^}]*)}");
    /** A chain such as {@code a.b().c} or {@code it.x.view(request2.getParameter('q'))}: calls may take arguments. */
    private static final java.util.regex.Pattern CHAIN = java.util.regex.Pattern.compile(
            "([A-Za-z_]\\w*)((?:\\.[A-Za-z_]\\w*(?:\\((?:[^()]|\\([^()]*\\))*\\))?)+)");

    private static String expression(String attribute) {
        java.util.regex.Matcher m = EXPRESSION.matcher(attribute);
        assertThat(m.matches()).as(attribute).isTrue();
        return m.group(1).trim();
    }

    /** Checks every known-rooted chain in the text's expressions; returns how many it checked. */
    private static int checkExpressions(String text, Map<String, java.lang.reflect.Type> variables) {
        int n = 0;
        java.util.regex.Matcher expressions = EXPRESSION.matcher(text);
        while (expressions.find()) {
            java.util.regex.Matcher chains = CHAIN.matcher(expressions.group(1));
            while (chains.find()) {
                if (variables.containsKey(chains.group(1))) {
                    typeOf(chains.group(), variables);
                    n++;
                }
            }
        }
        return n;
    }

    private static java.lang.reflect.Type typeOf(String chain, Map<String, java.lang.reflect.Type> variables) {
        String[] parts = topLevelParts(chain);
        java.lang.reflect.Type type = variables.get(parts[0]);
        assertThat(type).as("variable " + parts[0] + " in " + chain).isNotNull();
        for (int i = 1; i < parts.length; i++) {
            Class<?> raw = type instanceof java.lang.reflect.ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
            String part = parts[i];
            int open = part.indexOf('(');
            String name = open < 0 ? null : part.substring(0, open);
            int arguments = open < 0 ? 0 : argumentCount(part.substring(open + 1, part.length() - 1));
            Method found = Arrays.stream(raw.getMethods()).filter(m -> m.getParameterCount() == arguments)
                    .filter(m -> name != null ? m.getName().equals(name)
                            : m.getName().equals("get" + Character.toUpperCase(part.charAt(0)) + part.substring(1))
                            || m.getName().equals("is" + Character.toUpperCase(part.charAt(0)) + part.substring(1)))
                    .findFirst().orElseThrow(() -> new AssertionError(chain + ": " + raw.getName() + " has no " + part));
            assertThat(java.lang.reflect.Modifier.isPublic(found.getDeclaringClass().getModifiers()))
                    .as(chain + ": Jelly calls only methods of public classes").isTrue();
            type = found.getGenericReturnType();
        }
        return type;
    }

    /** Splits a chain at the dots outside parentheses: {@code a.b(c.d()).e} is a, b(c.d()), e. */
    static String[] topLevelParts(String chain) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < chain.length(); i++) {
            char c = chain.charAt(i);
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == '.' && depth == 0) {
                parts.add(chain.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(chain.substring(start));
        return parts.toArray(String[]::new);
    }

    /** Arguments of a call, counted at the commas outside nested parentheses. */
    static int argumentCount(String arguments) {
        if (arguments.isBlank()) {
            return 0;
        }
        int depth = 0;
        int count = 1;
        for (char c : arguments.toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            count += c == ',' && depth == 0 ? 1 : 0;
        }
        return count;
    }

    @Test
    void chainsWithArgumentsAreSplitWhereJexlCallsThem() {
        assertThat(topLevelParts("it.configuration.bounceView(request2.getParameter('q'))"))
                .containsExactly("it", "configuration", "bounceView(request2.getParameter('q'))");
        assertThat(argumentCount("")).isZero();
        assertThat(argumentCount("a.b(c, d)")).isEqualTo(1);
        assertThat(argumentCount("a, b")).isEqualTo(2);
        Map<String, java.lang.reflect.Type> variables = Map.of("it", RelayManagementLink.class);
        assertThat(typeOf("it.configuration.bounceView(x)", variables)).isEqualTo(BounceView.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> typeOf("it.configuration.bounceView()", variables))
                .hasMessageContaining("has no bounceView()");
    }

    @Test
    void passwordsAreNeverPlainTextboxes() throws Exception {
        for (Path view : views()) {
            String text = Files.readString(view);
            assertThat(text).as(view.toString()).doesNotContainPattern("field=\"[^\"]*(?i:password|secret)[^\"]*\"");
        }
    }
}
