// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/tasks/BuildStepMonitor.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.tasks;

public enum BuildStepMonitor {
    NONE,
    STEP,
    BUILD;
}
