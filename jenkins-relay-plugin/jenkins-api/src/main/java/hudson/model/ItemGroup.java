// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/ItemGroup.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.model;

/** The credentials look-up context, and the folder a job's full name starts with: Jenkins itself is the root. */
public interface ItemGroup<T extends Item> {
    String getFullName();
}
