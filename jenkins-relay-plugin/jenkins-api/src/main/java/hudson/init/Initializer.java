// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/init/Initializer.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Only the elements the plugin sets (after, fatal) are declared; the real before, requires, attains and displayName
// all have defaults, so a class file compiled against this reads the same in a real Jenkins. @Indexed: the stand-in
// module's processor writes META-INF/annotations/hudson.init.Initializer, which Jenkins's InitializerFinder reads.
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
public @interface Initializer {
    InitMilestone after() default InitMilestone.STARTED;

    boolean fatal() default true;
}
