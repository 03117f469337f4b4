// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/tasks/BuildStepCompatibilityLayer.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// @Deprecated in real Jenkins, yet still Publisher's superclass: declared so that Notifier's inherited members are
// where the JVM finds them.
package hudson.tasks;

import hudson.Launcher;
import hudson.model.AbstractBuild;
import hudson.model.BuildListener;
import java.io.IOException;

@Deprecated
public abstract class BuildStepCompatibilityLayer implements BuildStep {
    @Override
    public boolean prebuild(AbstractBuild<?, ?> build, BuildListener listener) {
        return true;
    }

    @Override
    public boolean perform(AbstractBuild<?, ?> build, Launcher launcher, BuildListener listener) throws InterruptedException, IOException {
        return true;
    }
}
