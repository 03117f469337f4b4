// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/AbstractDescribableImpl.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Only the workflow Step extends it here (Step's real superclass); the plugin's own classes implement Describable.
package hudson.model;

import jenkins.model.Jenkins;

public abstract class AbstractDescribableImpl<T extends AbstractDescribableImpl<T>> implements Describable<T> {
    @Override
    @SuppressWarnings("unchecked")
    public Descriptor<T> getDescriptor() {
        return Jenkins.get().getDescriptorOrDie(getClass());
    }
}
