// Stand-in. Mirrors jenkinsci/workflow-step-api-plugin/src/main/java/org/jenkinsci/plugins/workflow/steps/StepContext.java at tag 710.v3e456cc85233; checked member by member against the real sources (docs/jenkins.md, "How this plugin was built and checked").
// The real class also implements Guava's FutureCallback<Object>; left out, as the plugin never calls it.
package org.jenkinsci.plugins.workflow.steps;

import java.io.IOException;
import java.io.Serializable;

public abstract class StepContext implements Serializable {
    public abstract <T> T get(Class<T> key) throws IOException, InterruptedException;
}
