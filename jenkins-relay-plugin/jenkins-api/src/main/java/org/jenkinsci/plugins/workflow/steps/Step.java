// Stand-in. Mirrors jenkinsci/workflow-step-api-plugin/src/main/java/org/jenkinsci/plugins/workflow/steps/Step.java at tag 710.v3e456cc85233; checked member by member with tools/jenkins-conformance.
package org.jenkinsci.plugins.workflow.steps;

import hudson.ExtensionPoint;
import hudson.model.AbstractDescribableImpl;

@SuppressWarnings("deprecation")
public abstract class Step extends AbstractDescribableImpl<Step> implements ExtensionPoint {
    public abstract StepExecution start(StepContext context) throws Exception;

    @Override
    public StepDescriptor getDescriptor() {
        return (StepDescriptor) super.getDescriptor();
    }
}
