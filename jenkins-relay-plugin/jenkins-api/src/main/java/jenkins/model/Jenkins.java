// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/jenkins/model/Jenkins.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real class extends AbstractCIBase and implements ItemGroup and AccessControlled through
// DirectlyModifiableTopLevelItemGroup; both are declared directly here (a supertype the real class has).
// Everything private below is stand-in plumbing, invisible to the plugin: tests install a recording instance by
// reflection (see the plugin's RecordingJenkinsForTests); the real Jenkins never has these fields.
package jenkins.model;

import hudson.ExtensionList;
import hudson.model.Describable;
import hudson.model.Descriptor;
import hudson.model.ItemGroup;
import hudson.model.TopLevelItem;
import hudson.security.ACL;
import hudson.security.AccessControlled;
import hudson.security.Permission;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

public class Jenkins implements ItemGroup<TopLevelItem>, AccessControlled {
    public static final Permission ADMINISTER = permission("hudson.model.Hudson.Administer");

    private static volatile Jenkins theInstance;
    private final File root;
    private final ACL acl;
    private final String rootUrl;
    private final List<Object> extensions = new ArrayList<>();

    private Jenkins(File root, ACL acl, String rootUrl) {
        this.root = root;
        this.acl = acl;
        this.rootUrl = rootUrl;
    }

    public static Jenkins get() throws IllegalStateException {
        Jenkins instance = theInstance;
        if (instance == null) {
            throw new IllegalStateException("Jenkins.instance is missing.");
        }
        return instance;
    }

    public static Jenkins getInstanceOrNull() {
        return theInstance;
    }

    public File getRootDir() {
        return root;
    }

    @Override
    public String getFullName() {
        return "";
    }

    public String getRootUrl() throws IllegalStateException {
        return rootUrl;
    }

    @Override
    public ACL getACL() {
        return acl;
    }

    public <T> ExtensionList<T> getExtensionList(Class<T> extensionType) {
        List<T> matching = extensions.stream().filter(extensionType::isInstance).map(extensionType::cast).toList();
        return new ExtensionList<T>(this, extensionType) {
            @Override
            public T get(int index) {
                return matching.get(index);
            }

            @Override
            public int size() {
                return matching.size();
            }
        };
    }

    @SuppressWarnings("rawtypes")
    public Descriptor getDescriptorOrDie(Class<? extends Describable> type) {
        for (Object e : extensions) {
            if (e instanceof Descriptor<?> d && d.clazz == type) {
                return d;
            }
        }
        throw new AssertionError(type + " is missing its descriptor");
    }

    private static Permission permission(String id) {
        try {
            Method m = Permission.class.getDeclaredMethod("standIn", String.class);
            m.setAccessible(true);
            return (Permission) m.invoke(null, id);
        } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
