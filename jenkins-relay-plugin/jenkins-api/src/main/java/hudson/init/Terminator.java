// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/init/Terminator.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real elements (after, before, requires, attains, displayName) all have defaults and the plugin sets none, so
// none is declared (after and before would need TermMilestone, a reactor Milestone). @Indexed: the stand-in
// module's processor writes META-INF/annotations/hudson.init.Terminator, which Jenkins's TerminatorFinder reads
// when Jenkins.cleanUp() runs the terminators.
package hudson.init;

import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import org.jvnet.hudson.annotation_indexer.Indexed;

@Indexed
@Documented
@Retention(RUNTIME)
@Target(METHOD)
public @interface Terminator {
}
