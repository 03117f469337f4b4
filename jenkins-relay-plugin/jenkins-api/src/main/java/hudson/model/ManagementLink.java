// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/ManagementLink.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.model;

import hudson.ExtensionPoint;
import hudson.security.Permission;
import jenkins.model.Jenkins;

public abstract class ManagementLink implements ExtensionPoint, Action {
    @Override
    public abstract String getIconFileName();

    public String getDescription() {
        return "";
    }

    @Override
    public abstract String getUrlName();

    public Permission getRequiredPermission() {
        return Jenkins.ADMINISTER;
    }

    public Category getCategory() {
        return Category.UNCATEGORIZED;
    }

    public enum Category {
        CONFIGURATION,
        SECURITY,
        STATUS,
        TROUBLESHOOTING,
        TOOLS,
        MISC,
        UNCATEGORIZED;
    }
}
