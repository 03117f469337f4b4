// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/security/Permission.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.security;

public final class Permission {
    private final String id;

    private Permission(String id) {
        this.id = id;
    }

    /** Stand-in only (private): how Jenkins.ADMINISTER gets its id. */
    private static Permission standIn(String id) {
        return new Permission(id);
    }

    public String getId() {
        return id;
    }

    @Override
    public String toString() {
        return "Permission[" + id + "]";
    }
}
