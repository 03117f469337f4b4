// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/Launcher.java at tag jenkins-2.504.3; checked member by member with tools/jenkins-conformance (profiles 2.504.3 and 2.568.2).
package hudson;

/** Only named in BuildStep.perform's signature. */
public abstract class Launcher {
    protected Launcher(Launcher launcher) {
    }
}
