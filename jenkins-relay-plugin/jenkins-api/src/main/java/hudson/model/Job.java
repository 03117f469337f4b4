// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/Job.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.model;

public abstract class Job<JobT extends Job<JobT, RunT>, RunT extends Run<JobT, RunT>> extends AbstractItem {
    protected Job(ItemGroup parent, String name) {
        super(parent, name);
    }
}
