package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.Json;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.RelayClient;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * What the console's own "Test connection" cannot show (it answers a bare 500): the probe's step report, the settings
 * in force, counters and the delivery log. Under {@code /admin/realms/{realm}/outbound-relay}; every call requires
 * manage-realm. Responses are JSON and never hold a password, token, message body or link.
 *
 * <pre>
 * POST .../outbound-relay/probe[?to=me@example.com]   body: none (the realm's saved Email tab) or a proposed smtpServer map
 * GET  .../outbound-relay/status                     saved settings, the live relay's, counters, whether the sender is active
 * GET  .../outbound-relay/metrics                    counters
 * GET  .../outbound-relay/events                     recent delivery events, oldest first
 * GET|DELETE .../outbound-relay/dead-letters, POST .../dead-letters/{id}/retry   (need the durable queue: 501 for now)
 * </pre>
 */
public final class RelayDiagnosticsResource {
    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final ServerOptions server;
    private final RealmRelays relays;
    private final boolean relayActive;

    RelayDiagnosticsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                             ServerOptions server, RealmRelays relays, boolean relayActive) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.server = server;
        this.relays = relays;
        this.relayActive = relayActive;
    }

    /**
     * Runs the probe (DNS, TCP, TLS, EHLO, AUTH, MAIL FROM, and with {@code to} also RCPT TO and DATA) against the
     * realm's saved settings, or against a proposed Email tab map given as the JSON body.
     */
    @POST
    @Path("probe")
    @Produces(MediaType.APPLICATION_JSON)
    public Response probe(@QueryParam("to") String to, String body) {
        auth.realm().requireManageRealm();
        boolean proposed = body != null && !body.isBlank();
        RelayConfiguration configuration;
        MailAddress recipient;
        try {
            Map<String, String> smtp = proposed ? proposedSettings(body) : realm.getSmtpConfig();
            configuration = RealmSettingsReader.read(session, realm, smtp, server);
            recipient = to == null || to.isBlank() ? null : MailAddress.parse(to, "to");
        } catch (InvalidInputException e) {
            return invalid(e);
        } catch (IllegalArgumentException e) {
            return json(Response.Status.BAD_REQUEST, Map.of("error", "the body is not a JSON object of Email tab settings: " + e.getMessage()));
        }
        // Settings in use are probed through the realm's relay (its TLS context and token cache); others on their own.
        Optional<RealmRelay> current = relays.current(realm.getId()).filter(r -> r.configuration().equals(configuration));
        ProbeReport report = current.isPresent() ? current.get().probe(recipient)
                : RelayClient.probe(configuration.settings(), recipient);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("realm", realm.getName());
        answer.put("settings", proposed ? "proposed" : "saved");
        answer.put("passed", report.passed());
        report.failure().ifPresent(f -> {
            answer.put("category", f.category() == null ? null : f.category().name());
            answer.put("remedy", f.remedy());
        });
        answer.put("report", Json.parseObject(report.toJson()));
        return json(Response.Status.OK, answer);
    }

    @GET
    @Path("status")
    @Produces(MediaType.APPLICATION_JSON)
    public Response status() {
        auth.realm().requireManageRealm();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("realm", realm.getName());
        answer.put("emailSender", relayActive ? RelayEmailSenderProviderFactory.ID
                : "another provider (start Keycloak with --spi-email-sender--provider=relay)");
        answer.put("tabSaved", RealmSettingsReader.tabComponent(realm).isPresent());
        Map<String, String> smtp = realm.getSmtpConfig();
        if (smtp == null || smtp.isEmpty()) {
            answer.put("configuration", null);
            answer.put("problem", "the realm's Email tab is not configured");
        } else {
            try {
                answer.put("configuration", RealmSettingsReader.read(session, realm, smtp, server).describe());
            } catch (InvalidInputException e) {
                answer.put("configuration", null);
                answer.put("problem", e.getMessage());
            }
        }
        // What the realm's live relay was built with: equal to "configuration" once a mail went out after a change.
        answer.put("relayInUse", relays.current(realm.getId()).map(r -> r.configuration().describe()).orElse(null));
        answer.put("metrics", metricsMap());
        answer.put("queue", queueStatus());
        return json(Response.Status.OK, answer);
    }

    @GET
    @Path("metrics")
    @Produces(MediaType.APPLICATION_JSON)
    public Response metrics() {
        auth.realm().requireManageRealm();
        return json(Response.Status.OK, metricsMap());
    }

    @GET
    @Path("events")
    @Produces(MediaType.APPLICATION_JSON)
    public Response events() {
        auth.realm().requireManageRealm();
        List<Map<String, Object>> events = relays.deliveryLog(realm.getId()).recent().stream()
                .map(RelayDiagnosticsResource::eventMap).toList();
        return json(Response.Status.OK, Map.of("events", events));
    }

    // QUEUE SEAM: dead letters live in the durable queue; these answer 501 until it is installed.

    @GET
    @Path("dead-letters")
    @Produces(MediaType.APPLICATION_JSON)
    public Response deadLetters() {
        auth.realm().requireManageRealm();
        return queueMissing();
    }

    @POST
    @Path("dead-letters/{id}/retry")
    @Produces(MediaType.APPLICATION_JSON)
    public Response retryDeadLetter(@PathParam("id") String id) {
        auth.realm().requireManageRealm();
        return queueMissing();
    }

    @DELETE
    @Path("dead-letters")
    @Produces(MediaType.APPLICATION_JSON)
    public Response purgeDeadLetters() {
        auth.realm().requireManageRealm();
        return queueMissing();
    }

    /** The proposed Email tab; a masked secret means the saved one if it goes to the same relay and user. */
    private Map<String, String> proposedSettings(String body) {
        Map<String, String> smtp = new HashMap<>();
        Json.parseObject(body).forEach((k, v) -> smtp.put(k, v == null ? null : String.valueOf(v)));
        return ProposedSettings.withSavedSecrets(smtp, realm.getSmtpConfig());
    }

    private Map<String, Object> metricsMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        Optional<RealmRelay> current = relays.current(realm.getId());
        map.putAll(current.map(RealmRelay::metrics).orElseGet(() -> relays.counters(realm.getId()).snapshot()));
        return map;
    }

    private static Map<String, Object> queueStatus() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("durable", false);
        map.put("note", "The durable queue is not installed in this build: each mail gets one attempt on a delivery "
                + "thread; retries, rate limiting, failover and dead letters need it.");
        return map;
    }

    private static Map<String, Object> eventMap(DeliveryEvent e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("time", e.time().toString());
        map.put("outcome", e.outcome().name());
        map.put("messageId", e.messageId());
        map.put("relay", e.relay());
        map.put("recipients", e.recipients());
        map.put("category", e.category() == null ? null : e.category().name());
        map.put("reply", e.reply());
        map.put("attempt", e.attempt());
        map.put("durationMillis", e.durationMillis());
        map.put("detail", e.detail());
        return map;
    }

    private static Response invalid(InvalidInputException e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("error", e.getMessage());
        map.put("field", e.field());
        map.put("problem", e.problem());
        map.put("fix", e.fix());
        return json(Response.Status.BAD_REQUEST, map);
    }

    private static Response queueMissing() {
        return json(Response.Status.NOT_IMPLEMENTED, Map.of("error",
                "Dead letters need the durable queue, which is not installed in this build."));
    }

    private static Response json(Response.Status status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Json.write(body)).build();
    }
}
