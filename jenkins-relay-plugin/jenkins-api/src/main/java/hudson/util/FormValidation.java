// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/util/FormValidation.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// As in real Jenkins, error/warning/ok(String) escape their message and the *WithMarkup variants take HTML as is.
package hudson.util;

import java.io.IOException;
import org.kohsuke.stapler.HttpResponse;

public abstract class FormValidation extends IOException implements HttpResponse {
    public final Kind kind;

    private FormValidation(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public enum Kind {
        OK,
        WARNING,
        ERROR;
    }

    public static FormValidation error(String message) {
        return respond(Kind.ERROR, escape(message));
    }

    public static FormValidation warning(String message) {
        return respond(Kind.WARNING, escape(message));
    }

    public static FormValidation ok(String message) {
        return respond(Kind.OK, escape(message));
    }

    public static FormValidation ok() {
        return respond(Kind.OK, "<div/>");
    }

    public static FormValidation errorWithMarkup(String message) {
        return respond(Kind.ERROR, message);
    }

    public static FormValidation warningWithMarkup(String message) {
        return respond(Kind.WARNING, message);
    }

    public static FormValidation okWithMarkup(String message) {
        return respond(Kind.OK, message);
    }

    public static FormValidation respond(Kind kind, String html) {
        return new FormValidation(kind, html) {
            @Override
            public String renderHtml() {
                return html;
            }
        };
    }

    public abstract String renderHtml();

    private static String escape(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#039;");
                case '\n' -> out.append("<br>");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
