// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/model/AbstractItem.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real class extends Actionable and implements more interfaces; only what a job's mail names is here.
// getFullName is the real method's logic: the parent's full name, a slash, the item's name.
package hudson.model;

public abstract class AbstractItem implements Item {
    private final ItemGroup parent;
    private final String name;

    protected AbstractItem(ItemGroup parent, String name) {
        this.parent = parent;
        this.name = name;
    }

    public String getName() {
        return name;
    }

    public ItemGroup getParent() {
        return parent;
    }

    public final String getFullName() {
        String n = getParent().getFullName();
        return n.isEmpty() ? getName() : n + '/' + getName();
    }
}
