// Stand-in. Mirrors jenkinsci/workflow-step-api-plugin/src/main/java/org/jenkinsci/plugins/workflow/steps/SynchronousNonBlockingStepExecution.java at tag 710.v3e456cc85233; checked member by member with tools/jenkins-conformance.
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
