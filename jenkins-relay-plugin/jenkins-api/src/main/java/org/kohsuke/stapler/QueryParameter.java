// Stand-in. Mirrors jenkinsci/stapler/core/src/main/java/org/kohsuke/stapler/QueryParameter.java at tag 1967.vfcb_700b_75e9e; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Real: also @InjectedParameter(HandlerImpl.class), read by Stapler from the real class at run time only.
package org.kohsuke.stapler;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@Documented
public @interface QueryParameter {
    String value() default "";

    boolean required() default false;

    boolean fixEmpty() default false;
}
