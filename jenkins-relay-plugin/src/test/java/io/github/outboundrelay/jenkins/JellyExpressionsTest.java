package io.github.outboundrelay.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Every {@code ${...}} in every view parses as a real Jenkins parses it ({@link StaplerExpressionRules}, real JEXL),
 * and no localized label loses text. A real Jenkins 2.504.3 answered 404 and 500 for views that passed every other
 * test here: {@code ${%Bounce rate (last hour)}} is the message "Bounce rate " with the JEXL argument "last hour".
 */
class JellyExpressionsTest {

    /** An expression as it sits in a view, with where it is for the failure message. */
    record Found(Path view, String where, String expression) {
        @Override
        public String toString() {
            return view + " " + where + ": ${" + expression + "}";
        }
    }

    static List<Found> expressions() throws Exception {
        List<Found> all = new ArrayList<>();
        for (Path view : JellyViewsTest.views()) {
            Document doc = JellyViewsTest.parse(view);
            NodeList elements = doc.getElementsByTagNameNS("*", "*");
            for (int i = 0; i < elements.getLength(); i++) {
                Element e = (Element) elements.item(i);
                for (int a = 0; a < e.getAttributes().getLength(); a++) {
                    Node attribute = e.getAttributes().item(a);
                    String where = "<" + e.getTagName() + " " + attribute.getNodeName() + "=...>";
                    StaplerExpressionRules.expressionsIn(attribute.getNodeValue()).forEach(x -> all.add(new Found(view, where, x)));
                }
                for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
                    if (n.getNodeType() == Node.TEXT_NODE) {
                        String where = "text of <" + e.getTagName() + ">";
                        StaplerExpressionRules.expressionsIn(n.getNodeValue()).forEach(x -> all.add(new Found(view, where, x)));
                    }
                }
            }
        }
        return all;
    }

    @Test
    void everyExpressionInEveryViewParsesAsJenkinsParsesIt() throws Exception {
        List<Found> found = expressions();
        assertThat(found).hasSizeGreaterThan(150);
        List<String> refused = new ArrayList<>();
        for (Found f : found) {
            try {
                StaplerExpressionRules.parse(f.expression());
            } catch (IllegalArgumentException e) {
                refused.add(f + " -> " + e.getMessage());
            }
        }
        assertThat(refused).as("views a real Jenkins refuses with JellyException").isEmpty();
    }

    /**
     * Stapler's ResourceBundle.format returns the key itself when no properties file defines it, so arguments are
     * dropped: "Connect timeout (seconds)" renders as "Connect timeout ". Arguments need a message with {0}.
     */
    @Test
    void noLocalizedLabelDropsItsArguments() throws Exception {
        List<String> dropped = new ArrayList<>();
        for (Found f : expressions()) {
            List<StaplerExpressionRules.Message> messages;
            try {
                messages = StaplerExpressionRules.parse(f.expression());
            } catch (IllegalArgumentException refused) {
                continue; // everyExpressionInEveryViewParsesAsJenkinsParsesIt reports it
            }
            for (StaplerExpressionRules.Message m : messages) {
                if (!m.arguments().isEmpty() && !messageOf(f.view(), m.key()).contains("{0}")) {
                    dropped.add(f + " renders as \"" + messageOf(f.view(), m.key()) + "\" without " + m.arguments());
                }
            }
        }
        assertThat(dropped).isEmpty();
    }

    /** The view's Name.properties entry for the key, or the key itself as Stapler falls back to it. */
    private static String messageOf(Path view, String key) throws IOException {
        Path properties = view.resolveSibling(view.getFileName().toString().replace(".jelly", ".properties"));
        if (!Files.exists(properties)) {
            return key;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(properties)) {
            p.load(in);
        }
        return p.getProperty(key, key);
    }

    // --- the rules themselves, on the texts that broke a real Jenkins ---

    @Test
    void parenthesesInALabelAreArgumentsThatJexlRefuses() {
        assertThatThrownBy(() -> StaplerExpressionRules.parse("%Bounce rate (last hour)"))
                .hasMessageContaining("Unable to create expression: last hour");
        assertThatThrownBy(() -> StaplerExpressionRules.parse("%Messages per minute, per relay (0 = no limit)"))
                .hasMessageContaining("Unable to create expression: 0 = no limit");
        assertThatThrownBy(() -> StaplerExpressionRules.parse("%OAuth2 mailbox (SMTP user)"))
                .hasMessageContaining("Unable to create expression: SMTP user");
    }

    @Test
    void aSingleWordInParenthesesParsesButIsDropped() {
        List<StaplerExpressionRules.Message> m = StaplerExpressionRules.parse("%Connect timeout (seconds)");
        assertThat(m).containsExactly(new StaplerExpressionRules.Message("Connect timeout ", List.of("seconds")));
    }

    @Test
    void plainExpressionsAndResourceLiteralsParse() {
        assertThat(StaplerExpressionRules.parse("m.deadLetters() > 0")).isEmpty();
        assertThat(StaplerExpressionRules.parse("!status.failures().isEmpty()")).isEmpty();
        assertThat(StaplerExpressionRules.parse("h.pick(x, '%Yes', '%No')")).extracting(StaplerExpressionRules.Message::key)
                .containsExactly("Yes", "No");
        assertThatThrownBy(() -> StaplerExpressionRules.parse("a b")).hasMessageContaining("Unable to create expression");
    }

    @Test
    void expressionsAreCutWhereJellyCutsThem() {
        assertThat(StaplerExpressionRules.expressionsIn("no expression")).isEmpty();
        assertThat(StaplerExpressionRules.expressionsIn("${%Whole}")).containsExactly("%Whole");
        assertThat(StaplerExpressionRules.expressionsIn("${%Recent delivery events} (${%newest first})"))
                .containsExactly("%Recent delivery events", "%newest first");
        assertThat(StaplerExpressionRules.expressionsIn("a ${x.y('}')} b $${z}")).containsExactly("x.y('}')");
        assertThatThrownBy(() -> StaplerExpressionRules.expressionsIn("${open")).hasMessageContaining("Missing '}'");
    }
}
