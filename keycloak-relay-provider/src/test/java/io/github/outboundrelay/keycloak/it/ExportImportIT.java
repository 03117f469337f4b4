package io.github.outboundrelay.keycloak.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Keycloak's own realm export and import carry both tabs: the smtpServer map and the Outbound relay component. */
@ExtendWith(RealKeycloak.class)
class ExportImportIT {

    @Test
    @SuppressWarnings("unchecked")
    void anExportedRealmImportsWithItsEmailTabAndOutboundRelayTab(RealKeycloak.Suite suite) {
        String source = suite.newRealm("export");
        String realmId = (String) AdminApi.expect(200, suite.admin.get("/admin/realms/" + source)).json().get("id");
        // What the console's Save on the Outbound relay tab sends.
        AdminApi.expect(201, suite.admin.post("/admin/realms/" + source + "/components", Map.of(
                "providerId", "Outbound relay",
                "providerType", "org.keycloak.services.ui.extend.UiTabProvider",
                "parentId", realmId,
                "config", Map.of("rateLimitPerMinute", List.of("25"), "retryLifetimeHours", List.of("6"),
                        "maskRecipients", List.of("true")))));

        Map<String, Object> exported = AdminApi.expect(200,
                suite.admin.post("/admin/realms/" + source + "/partial-export", null)).json();
        assertThat((Map<String, Object>) exported.get("smtpServer")).containsEntry("host", "127.0.0.1")
                .containsEntry("starttls", "true").containsEntry("from", "sso@example.com")
                .containsEntry("password", "**********");
        assertThat(exported.get("components").toString()).contains("Outbound relay", "rateLimitPerMinute");

        // Import the export's two parts into a new realm (the rest of a partial export carries ids of its own).
        String target = source + "-copy";
        List<Map<String, Object>> tabs = ((Map<String, List<Map<String, Object>>>) exported.get("components"))
                .get("org.keycloak.services.ui.extend.UiTabProvider");
        assertThat(tabs).hasSize(1);
        Map<String, Object> tab = new java.util.HashMap<>(tabs.get(0));
        tab.remove("id");
        tab.remove("parentId");
        AdminApi.expect(201, suite.admin.post("/admin/realms", Map.of("realm", target, "enabled", true,
                "smtpServer", exported.get("smtpServer"),
                "components", Map.of("org.keycloak.services.ui.extend.UiTabProvider", List.of(tab)))));
        // A partial export masks secrets: the password is set again, as an administrator would after importing.
        suite.admin.setSmtpServer(target, suite.emailTab());

        Map<String, Object> status = AdminApi.expect(200, suite.admin.get("/admin/realms/" + target + "/outbound-relay/status")).json();
        assertThat(status).containsEntry("tabSaved", true);
        Map<String, Object> configuration = (Map<String, Object>) status.get("configuration");
        assertThat(configuration).containsEntry("rateLimitPerMinute", 25L).containsEntry("retryLifetimeHours", 6L)
                .containsEntry("relay", "127.0.0.1:" + suite.relay.port());
        assertThat(AdminApi.expect(200, suite.admin.post("/admin/realms/" + target + "/outbound-relay/probe", null)).json())
                .containsEntry("passed", true);
    }
}
