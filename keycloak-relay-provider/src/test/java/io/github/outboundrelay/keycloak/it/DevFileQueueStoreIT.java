package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Keycloak on dev-file (H2) keeps its queues in files under the spool directory: queue-store=auto's other half. */
@ExtendWith(RealKeycloak.class)
class DevFileQueueStoreIT {

    @Test
    void onDevFileTheQueueIsInFilesUnderTheSpoolDirectory(RealKeycloak.Suite suite) throws Exception {
        String realm = suite.newRealm("devfile");
        String base = "/admin/realms/" + realm + "/outbound-relay/";
        AdminApi.expect(200, suite.admin.get(base + "metrics")); // opens the realm's queue
        Map<String, Object> status = AdminApi.expect(200, suite.admin.get(base + "status")).json();

        assertThat((String) status.get("queueStore")).startsWith("files under ").endsWith("outbound-relay/spool");
        assertThat(suite.keycloak.log()).contains("Outbound relay: mail queues in files under");
    }
}
