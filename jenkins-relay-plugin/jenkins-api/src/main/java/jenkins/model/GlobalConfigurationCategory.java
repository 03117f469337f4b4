// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/jenkins/model/GlobalConfigurationCategory.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package jenkins.model;

import hudson.ExtensionList;
import hudson.ExtensionPoint;
import hudson.model.ModelObject;

public abstract class GlobalConfigurationCategory implements ExtensionPoint, ModelObject {
    public abstract String getShortDescription();

    public static <T extends GlobalConfigurationCategory> T get(Class<T> type) {
        return ExtensionList.lookupSingleton(type);
    }
}
