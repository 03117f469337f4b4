// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/tasks/Publisher.java at tag jenkins-2.504.3; checked member by member with tools/jenkins-conformance (profiles 2.504.3 and 2.568.2).
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
