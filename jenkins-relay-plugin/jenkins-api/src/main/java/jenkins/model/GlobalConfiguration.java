// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/jenkins/model/GlobalConfiguration.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package jenkins.model;

import hudson.ExtensionPoint;
import hudson.model.Describable;
import hudson.model.Descriptor;
import net.sf.json.JSONObject;
import org.kohsuke.stapler.StaplerRequest2;

public abstract class GlobalConfiguration extends Descriptor<GlobalConfiguration>
        implements ExtensionPoint, Describable<GlobalConfiguration> {
    protected GlobalConfiguration() {
        super(self());
    }

    @Override
    public final Descriptor<GlobalConfiguration> getDescriptor() {
        return this;
    }

    @Override
    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        req.bindJSON(this, json);
        return true;
    }

    private static Class<GlobalConfiguration> self() {
        return GlobalConfiguration.class;
    }
}
