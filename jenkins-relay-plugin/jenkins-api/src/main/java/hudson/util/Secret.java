// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/util/Secret.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real class encrypts with the instance's secret key when serialized to XML; this one only holds the value.
package hudson.util;

import java.io.Serializable;

public final class Secret implements Serializable {
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public String getPlainText() {
        return value;
    }

    public static Secret fromString(String data) {
        return new Secret(data == null ? "" : data);
    }

    public static String toString(Secret s) {
        return s == null ? "" : s.value;
    }

    @Override
    public boolean equals(Object that) {
        return that instanceof Secret s && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}
