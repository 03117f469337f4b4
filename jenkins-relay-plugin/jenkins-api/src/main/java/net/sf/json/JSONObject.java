// Stand-in. Mirrors jenkinsci/json-lib/src/main/java/net/sf/json/JSONObject.java at tag json-lib-2.4-jenkins-8; checked member by member with tools/jenkins-conformance (profiles 2.504.3 and 2.568.2).
// Only passed through (Descriptor.configure, StaplerRequest2.bindJSON); no member is used.
package net.sf.json;

public final class JSONObject {
    public JSONObject() {
    }
}
