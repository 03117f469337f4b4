// Stand-in. Mirrors jenkinsci/workflow-step-api-plugin/src/main/java/org/jenkinsci/plugins/workflow/steps/Step.java at tag 710.v3e456cc85233; checked member by member against the real sources (docs/jenkins.md, "How this plugin was built and checked").
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
