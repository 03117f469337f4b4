// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/ExtensionList.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson;

import java.util.AbstractList;
import java.util.List;
import jenkins.model.Jenkins;

public class ExtensionList<T> extends AbstractList<T> {
    private final List<T> items;

    protected ExtensionList(Jenkins jenkins, Class<T> extensionType) {
        this.items = List.of();
    }

    @Override
    public T get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }

    public static <T> ExtensionList<T> lookup(Class<T> type) {
        return Jenkins.get().getExtensionList(type);
    }

    public static <U> U lookupSingleton(Class<U> type) {
        ExtensionList<U> all = lookup(type);
        if (all.size() != 1) {
            throw new IllegalStateException("Expected 1 instance of " + type.getName() + " but got " + all.size());
        }
        return all.get(0);
    }

    public static <U> U lookupFirst(Class<U> type) {
        ExtensionList<U> all = lookup(type);
        if (all.isEmpty()) {
            throw new IllegalStateException("Found no instances of " + type.getName());
        }
        return all.get(0);
    }
}
