package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The diagnostics resource is for realm administrators with manage-realm, and nobody else. */
@ExtendWith(RealKeycloak.class)
class DiagnosticsAccessIT {
    static RealKeycloak.Suite suite;
    static String realm;
    static AdminApi viewer;
    static AdminApi manager;

    @BeforeAll
    static void createUsers(RealKeycloak.Suite shared) {
        suite = shared;
        realm = suite.newRealm("access");
        suite.admin.createUser(realm, "viewer", "viewer@example.org", "Viewer-pw-1");
        suite.admin.createUser(realm, "manager", "manager@example.org", "Manager-pw-1");
        suite.admin.grantRealmManagementRole(realm, "viewer", "view-realm");
        suite.admin.grantRealmManagementRole(realm, "manager", "manage-realm");
        viewer = new AdminApi(suite.keycloak.baseUri(), realm, "viewer", "Viewer-pw-1");
        manager = new AdminApi(suite.keycloak.baseUri(), realm, "manager", "Manager-pw-1");
    }

    String path(String endpoint) {
        return "/admin/realms/" + realm + "/outbound-relay/" + endpoint;
    }

    @Test
    void anAnonymousCallerGets401() {
        AdminApi anonymous = AdminApi.anonymous(suite.keycloak.baseUri());
        assertThat(anonymous.post(path("probe"), null).status()).isEqualTo(401);
        assertThat(anonymous.get(path("status")).status()).isEqualTo(401);
        assertThat(anonymous.get(path("events")).status()).isEqualTo(401);
        assertThat(anonymous.post(path("dead-letters/purge"), null).status()).isEqualTo(401);
    }

    @Test
    void aUserWhoMayOnlyViewTheRealmGets403() {
        assertThat(viewer.get("/admin/realms/" + realm).status()).as("view-realm works elsewhere").isEqualTo(200);
        assertThat(viewer.post(path("probe"), null).status()).isEqualTo(403);
        assertThat(viewer.get(path("status")).status()).isEqualTo(403);
        assertThat(viewer.get(path("events")).status()).isEqualTo(403);
        assertThat(viewer.get(path("metrics")).status()).isEqualTo(403);
        assertThat(viewer.get(path("dead-letters")).status()).isEqualTo(403);
        assertThat(viewer.post(path("dead-letters/any/retry"), null).status()).isEqualTo(403);
        assertThat(viewer.post(path("dead-letters/any/purge"), null).status()).isEqualTo(403);
        assertThat(viewer.post(path("dead-letters/purge"), null).status()).isEqualTo(403);
    }

    @Test
    void onlyManageRealmMaySaveTheOutboundRelayTab() {
        String realmId = (String) AdminApi.expect(200, suite.admin.get("/admin/realms/" + realm)).json().get("id");
        Map<String, Object> tab = Map.of("providerId", "Outbound relay",
                "providerType", "org.keycloak.services.ui.extend.UiTabProvider", "parentId", realmId,
                "config", Map.of("rateLimitPerMinute", List.of("10")));
        assertThat(viewer.post("/admin/realms/" + realm + "/components", tab).status()).isEqualTo(403);
        assertThat(manager.post("/admin/realms/" + realm + "/components", tab).status()).isEqualTo(201);
        // and a bad value is refused with the field named, as the console shows it
        Map<String, Object> bad = Map.of("providerId", "Outbound relay",
                "providerType", "org.keycloak.services.ui.extend.UiTabProvider", "parentId", realmId,
                "config", Map.of("fallbackRelay", List.of("no-port-here")));
        AdminApi.Reply refused = manager.post("/admin/realms/" + realm + "/components", bad);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("fallbackRelay");
    }

    @Test
    void aRealmAdministratorWithManageRealmIsServed() {
        Map<String, Object> status = AdminApi.expect(200, manager.get(path("status"))).json();
        assertThat(status).containsEntry("realm", realm).containsEntry("emailSender", "relay");
        assertThat(status.get("configuration").toString()).contains("127.0.0.1:" + suite.relay.port(), "STARTTLS")
                .doesNotContain(suite.relayPassword);
        assertThat(AdminApi.expect(200, manager.post(path("probe"), null)).json()).containsEntry("passed", true);
        assertThat(AdminApi.expect(200, manager.get(path("dead-letters"))).json()).containsEntry("total", 0L);
        assertThat(AdminApi.expect(200, manager.get(path("metrics"))).json()).containsKeys("queueDepth", "deadLetters", "relays");
        assertThat(manager.post(path("dead-letters/0190f3c2a1b4-3f9a2c1d000001/retry"), null).status()).isEqualTo(404);
        AdminApi.Reply notAnId = manager.post(path("dead-letters/not-an-id/purge"), null);
        assertThat(notAnId.status()).isEqualTo(400);
        assertThat(notAnId.body()).contains("not a spool id");
    }

    @Test
    void aRealmAdministratorIsNotShownWhereTheServerKeepsItsSpool() {
        AdminApi.Reply status = AdminApi.expect(200, manager.get(path("status")));
        assertThat(status.json()).doesNotContainKey("spoolDir").containsKey("queueStore");
        assertThat(status.body()).doesNotContain("outbound-relay/spool").doesNotContain(System.getProperty("keycloak.home"));
    }

    @Test
    void theMasterRealmsAdministratorIsShownTheSpoolDirectory() {
        Map<String, Object> status = AdminApi.expect(200, suite.admin.get(path("status"))).json();
        assertThat((String) status.get("spoolDir")).startsWith(System.getProperty("keycloak.home"))
                .contains("outbound-relay/spool");
    }
}
