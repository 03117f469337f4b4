// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/tasks/BuildStep.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.tasks;

import hudson.Launcher;
import hudson.model.AbstractBuild;
import hudson.model.BuildListener;
import java.io.IOException;

public interface BuildStep {
    boolean prebuild(AbstractBuild<?, ?> build, BuildListener listener);

    boolean perform(AbstractBuild<?, ?> build, Launcher launcher, BuildListener listener) throws InterruptedException, IOException;

    default BuildStepMonitor getRequiredMonitorService() {
        return BuildStepMonitor.BUILD;
    }
}
