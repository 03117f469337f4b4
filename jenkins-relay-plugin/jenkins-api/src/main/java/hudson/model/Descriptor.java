// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/Descriptor.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Bodies are stand-ins: load() and save() persist nothing (real Jenkins writes XML under JENKINS_HOME).
package hudson.model;

import jenkins.model.GlobalConfigurationCategory;
import net.sf.json.JSONObject;
import org.kohsuke.stapler.HttpResponse;
import org.kohsuke.stapler.StaplerRequest2;

public abstract class Descriptor<T extends Describable<T>> {
    public final transient Class<? extends T> clazz; // transient as in Jenkins: never in a saved XML

    protected Descriptor(Class<? extends T> clazz) {
        this.clazz = clazz;
    }

    @SuppressWarnings("unchecked")
    protected Descriptor() {
        this.clazz = (Class<T>) getClass().getEnclosingClass();
    }

    public String getDisplayName() {
        return clazz.getSimpleName();
    }

    public String getId() {
        return clazz.getName();
    }

    public boolean configure(StaplerRequest2 req, JSONObject json) throws FormException {
        return true;
    }

    public GlobalConfigurationCategory getCategory() {
        return null;
    }

    public void save() {
    }

    public void load() {
    }

    public static final class FormException extends Exception implements HttpResponse {
        private final String formField;

        public FormException(String message, String formField) {
            super(message);
            this.formField = formField;
        }

        public String getFormField() {
            return formField;
        }
    }
}
