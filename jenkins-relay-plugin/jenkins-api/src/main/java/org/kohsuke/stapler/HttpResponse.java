// Stand-in. Mirrors jenkinsci/stapler/core/src/main/java/org/kohsuke/stapler/HttpResponse.java at tag 1967.vfcb_700b_75e9e; checked member by member with tools/jenkins-conformance (profiles 2.504.3 and 2.568.2).
package org.kohsuke.stapler;

public interface HttpResponse {
}
