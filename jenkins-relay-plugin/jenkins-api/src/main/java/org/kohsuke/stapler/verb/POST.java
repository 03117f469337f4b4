// Stand-in. Mirrors jenkinsci/stapler/core/src/main/java/org/kohsuke/stapler/verb/POST.java at tag 1967.vfcb_700b_75e9e; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Real: also @InterceptorAnnotation(value = HttpVerbInterceptor.class, stage = Stage.SELECTION), read by Stapler from
// the real class at run time only: the plugin's class files carry just the reference to this annotation type.
package org.kohsuke.stapler.verb;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface POST {
}
