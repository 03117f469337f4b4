// Stand-in. Mirrors jenkinsci/credentials-plugin/src/main/java/com/cloudbees/plugins/credentials/common/UsernamePasswordCredentials.java at tag 1480.v2246fd131e83; checked member by member against the real sources (profiles 1480 and 1502; docs/jenkins.md, "How this plugin was built and checked").
package com.cloudbees.plugins.credentials.common;

public interface UsernamePasswordCredentials extends UsernameCredentials, PasswordCredentials {
}
