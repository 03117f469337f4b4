// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/security/AccessControlled.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package hudson.security;

import org.springframework.security.access.AccessDeniedException;

public interface AccessControlled {
    ACL getACL();

    default void checkPermission(Permission permission) throws AccessDeniedException {
        getACL().checkPermission(permission);
    }

    default boolean hasPermission(Permission permission) {
        return getACL().hasPermission(permission);
    }
}
