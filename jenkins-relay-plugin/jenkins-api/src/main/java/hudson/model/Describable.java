// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/Describable.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// At 2.504.3 getDescriptor() is abstract; at 2.568.2 it is a default method. Declared abstract here, so every
// plugin class implements it and runs on both.
package hudson.model;

public interface Describable<T extends Describable<T>> {
    Descriptor<T> getDescriptor();
}
