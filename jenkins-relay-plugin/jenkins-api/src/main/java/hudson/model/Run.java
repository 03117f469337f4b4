// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/Run.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Bodies are stand-ins: a test subclass overrides what it needs.
package hudson.model;

import java.io.IOException;

public abstract class Run<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> {
    private final JobT project;

    protected Run(JobT job) throws IOException {
        this.project = job;
    }

    public JobT getParent() {
        return project;
    }

    public Result getResult() {
        return null;
    }

    public String getFullDisplayName() {
        return "";
    }

    public int getNumber() {
        return 0;
    }

    public RunT getPreviousBuild() {
        return null;
    }

    public String getUrl() {
        return "";
    }
}
