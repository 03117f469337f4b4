// Stand-in. Mirrors jenkinsci/lib-annotation-indexer src/main/java/org/jvnet/hudson/annotation_indexer/Indexed.java
// (read with the search tool; outside the conformance checker's trees). Jenkins core bundles the real one. The
// element validators() is left out: nothing here uses it. AnnotationProcessorImpl beside it writes the index.
package org.jvnet.hudson.annotation_indexer;

import static java.lang.annotation.ElementType.ANNOTATION_TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

@Documented
@Retention(RUNTIME)
@Target(ANNOTATION_TYPE)
public @interface Indexed {
}
