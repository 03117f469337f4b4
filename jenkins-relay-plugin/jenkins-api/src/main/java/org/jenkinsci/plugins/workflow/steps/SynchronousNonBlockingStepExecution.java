// Stand-in. Mirrors jenkinsci/workflow-step-api-plugin/src/main/java/org/jenkinsci/plugins/workflow/steps/SynchronousNonBlockingStepExecution.java at tag 710.v3e456cc85233; checked member by member against the real sources (docs/jenkins.md, "How this plugin was built and checked").
// The real start() runs run() on a thread pool and reports to the context; tests here call run() themselves.
package org.jenkinsci.plugins.workflow.steps;

public abstract class SynchronousNonBlockingStepExecution<T> extends StepExecution {
    protected SynchronousNonBlockingStepExecution(StepContext context) {
        super(context);
    }

    protected abstract T run() throws Exception;

    @Override
    public final boolean start() throws Exception {
        return false;
    }
}
