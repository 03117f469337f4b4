// Stand-in. Mirrors jenkinsci/json-lib/src/main/java/net/sf/json/JSONObject.java at tag json-lib-2.4-jenkins-8; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// Only passed through (Descriptor.configure, StaplerRequest2.bindJSON); no member is used.
package net.sf.json;

public final class JSONObject {
    public JSONObject() {
    }
}
