// Stand-in. Mirrors jenkinsci/stapler/core/src/main/java/org/kohsuke/stapler/StaplerRequest2.java at tag 1967.vfcb_700b_75e9e; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
package org.kohsuke.stapler;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import net.sf.json.JSONObject;

public interface StaplerRequest2 extends HttpServletRequest {
    void bindJSON(Object bean, JSONObject src);

    JSONObject getSubmittedForm() throws ServletException;
}
