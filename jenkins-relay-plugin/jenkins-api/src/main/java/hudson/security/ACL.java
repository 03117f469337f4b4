// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/hudson/security/ACL.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Real checkPermission asks hasPermission2 for the current user and throws AccessDeniedException3 (a subclass of
// Spring's AccessDeniedException); this stand-in asks for SYSTEM2 (null here) and throws the Spring type.
package hudson.security;

import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.Authentication;

public abstract class ACL {
    public static final Authentication SYSTEM2 = null;

    public final void checkPermission(Permission p) {
        if (!hasPermission2(SYSTEM2, p)) {
            throw new AccessDeniedException("missing the " + p.getId() + " permission");
        }
    }

    public final boolean hasPermission(Permission p) {
        return hasPermission2(SYSTEM2, p);
    }

    public boolean hasPermission2(Authentication a, Permission permission) {
        return false;
    }
}
