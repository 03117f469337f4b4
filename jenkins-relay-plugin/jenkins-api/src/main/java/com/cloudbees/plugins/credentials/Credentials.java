// Stand-in. Mirrors jenkinsci/credentials-plugin/src/main/java/com/cloudbees/plugins/credentials/Credentials.java at tag 1480.v2246fd131e83; checked member by member against the real sources (profiles 1480 and 1502; docs/jenkins.md, "How this plugin was built and checked").
package com.cloudbees.plugins.credentials;

import hudson.ExtensionPoint;
import java.io.Serializable;

public interface Credentials extends Serializable, ExtensionPoint {
}
