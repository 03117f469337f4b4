// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/tasks/Publisher.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.tasks;

import hudson.model.Describable;
import hudson.model.Descriptor;
import jenkins.model.Jenkins;

@SuppressWarnings("deprecation")
public abstract class Publisher extends BuildStepCompatibilityLayer implements Describable<Publisher> {
    @Deprecated
    protected Publisher() {
    }

    @Override
    @SuppressWarnings("unchecked")
    public Descriptor<Publisher> getDescriptor() {
        return Jenkins.get().getDescriptorOrDie(getClass());
    }
}
