package io.github.outboundrelay.jenkins;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a real Jenkins turns the {@code ${...}} in a Jelly view into expressions, so that a view Jenkins would refuse
 * fails the build instead. No Jelly runtime can be downloaded here; these are the real rules, read from:
 * <ul>
 *   <li>jenkinsci/jelly {@code core/src/main/java/org/apache/commons/jelly/expression/CompositeExpression.java}
 *       ({@code parse}) at tag commons-jelly-1.1-jenkins-20250108 (core's {@code jelly.version} at jenkins-2.504.3):
 *       where an expression starts and ends in attribute values and text;</li>
 *   <li>jenkinsci/stapler {@code jelly/src/main/java/org/kohsuke/stapler/jelly/CustomJellyContext.java}
 *       ({@code CustomXMLParser.createExpression}, {@code RESOURCE_LITERAL_STRING}) and
 *       {@code InternationalizedStringExpression.java} (constructor and {@code tokenize}) at 1967.vfcb_700b_75e9e:
 *       {@code %key(arg,arg)} is a localized message whose arguments are expressions;</li>
 *   <li>jenkinsci/jelly {@code core/.../expression/jexl/JexlExpressionFactory.java}: every expression is parsed by
 *       {@code org.apache.commons.jexl.ExpressionFactory.createExpression}, and a parse error is
 *       {@code JellyException: Unable to create expression}. The real commons-jexl 1.1 does the parsing here.</li>
 * </ul>
 */
final class StaplerExpressionRules {
    /** "%...." string literals inside a plain expression (CustomJellyContext.RESOURCE_LITERAL_STRING). */
    private static final Pattern RESOURCE_LITERAL = Pattern.compile("(\"%[^\"]+\")|('%[^']+')");

    private StaplerExpressionRules() {
    }

    /** A localized message as Stapler reads it: the text before {@code (} is the key, the rest its arguments. */
    record Message(String key, List<String> arguments) {
    }

    /** The expressions Jelly finds in an attribute value or a text node, as CompositeExpression.parse cuts them. */
    static List<String> expressionsIn(String text) {
        List<String> found = new ArrayList<>();
        int start = text.indexOf("${");
        if (start < 0) {
            return found;
        }
        int end = text.indexOf('}', start + 2);
        if (end < 0) {
            throw new IllegalArgumentException("Missing '}' character at the end of expression: " + text);
        }
        if (start == 0 && end == text.length() - 1) {
            found.add(text.substring(2, end));
            return found;
        }
        int cur = 0;
        int len = text.length();
        while (cur < len) {
            char c = text.charAt(cur);
            if (c == '$' && cur + 1 < len) {
                cur++;
                if (text.charAt(cur) == '{' && cur + 1 < len) {
                    cur++;
                    StringBuilder expression = new StringBuilder();
                    boolean closed = false;
                    while (cur < len && !closed) {
                        char e = text.charAt(cur);
                        if (e == '"' || e == '\'') {
                            // A quoted string runs to the same quote; a backslash only keeps the scan going.
                            expression.append(e);
                            cur++;
                            while (cur < len) {
                                char q = text.charAt(cur++);
                                expression.append(q);
                                if (q == e) {
                                    break;
                                }
                            }
                        } else if (e == '}') {
                            found.add(expression.toString());
                            closed = true;
                        } else {
                            expression.append(e);
                            cur++;
                        }
                    }
                    if (!closed) {
                        return found; // Jelly drops an unterminated tail the same way
                    }
                }
            }
            cur++;
        }
        return found;
    }

    /**
     * Parses one expression the way Stapler's expression factory does.
     *
     * @return the localized messages it holds (the expression itself when it starts with {@code %})
     * @throws IllegalArgumentException with the JellyException text a real Jenkins would log
     */
    static List<Message> parse(String expression) {
        List<Message> messages = new ArrayList<>();
        if (expression.startsWith("%")) {
            messages.add(message(expression));
            return messages;
        }
        Matcher literals = RESOURCE_LITERAL.matcher(expression);
        StringBuilder rewritten = new StringBuilder();
        int end = 0;
        int n = 0;
        while (literals.find()) {
            rewritten.append(expression, end, literals.start());
            String literal = literals.group();
            messages.add(message(literal.substring(1, literal.length() - 1)));
            rewritten.append("__resourceLiteral__").append(n++).append("__.evaluate(context)");
            end = literals.end();
        }
        rewritten.append(expression.substring(end));
        jexl(rewritten.toString());
        return messages;
    }

    /** InternationalizedStringExpression's constructor: key, then each argument through the JEXL factory. */
    private static Message message(String text) {
        String body = text.substring(1);
        int open = body.indexOf('(');
        if (open < 0) {
            return new Message(body, List.of());
        }
        String key = body.substring(0, open);
        String rest = body.substring(open + 1);
        List<String> arguments = new ArrayList<>();
        while (!rest.isEmpty()) {
            String token = token(rest, text);
            jexl(token);
            arguments.add(token);
            rest = rest.substring(token.length() + 1);
        }
        return new Message(key, arguments);
    }

    /** InternationalizedStringExpression.tokenize: "arg)" or "arg,arg,...)" to the first argument. */
    private static String token(String text, String expressionText) {
        int depth = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case ',' -> {
                    if (depth == 0) {
                        return text.substring(0, i);
                    }
                }
                case '(', '{', '[' -> depth++;
                case ')' -> {
                    if (depth == 0) {
                        return text.substring(0, i);
                    }
                    depth--;
                }
                case '}', ']' -> depth--;
                case '"', '\'' -> i = text.indexOf(ch, i + 1);
                default -> {
                }
            }
            if (i < 0) {
                break;
            }
        }
        throw new IllegalArgumentException(expressionText + " is missing ')' at the end");
    }

    private static void jexl(String text) {
        try {
            org.apache.commons.jexl.ExpressionFactory.createExpression(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("Unable to create expression: " + text, e);
        }
    }
}
