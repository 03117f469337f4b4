// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/Result.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.model;

import java.io.Serializable;

public final class Result implements Serializable {
    public static final Result SUCCESS = new Result("SUCCESS", 0);
    public static final Result UNSTABLE = new Result("UNSTABLE", 1);
    public static final Result FAILURE = new Result("FAILURE", 2);
    public static final Result NOT_BUILT = new Result("NOT_BUILT", 3);
    public static final Result ABORTED = new Result("ABORTED", 4);

    private final String name;
    public final int ordinal;

    private Result(String name, int ordinal) {
        this.name = name;
        this.ordinal = ordinal;
    }

    public boolean isWorseThan(Result that) {
        return this.ordinal > that.ordinal;
    }

    public boolean isBetterOrEqualTo(Result that) {
        return this.ordinal <= that.ordinal;
    }

    @Override
    public String toString() {
        return name;
    }
}
