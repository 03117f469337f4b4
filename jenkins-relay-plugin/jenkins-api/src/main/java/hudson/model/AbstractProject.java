// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/AbstractProject.java at tag jenkins-2.504.3; checked member by member with tools/jenkins-conformance (profiles 2.504.3 and 2.568.2).
package hudson.model;

@SuppressWarnings("rawtypes")
public abstract class AbstractProject<P extends AbstractProject<P, R>, R extends AbstractBuild<P, R>> extends Job<P, R> {
    protected AbstractProject(ItemGroup parent, String name) {
        super(parent, name);
    }
}
