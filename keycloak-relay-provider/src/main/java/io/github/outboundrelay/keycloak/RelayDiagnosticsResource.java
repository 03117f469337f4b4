package io.github.outboundrelay.keycloak;

import io.github.outboundrelay.common.DeadLetter;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.spool.SpoolException;
import jakarta.ws.rs.DefaultValue;
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
import org.keycloak.Config;
import org.keycloak.events.admin.OperationType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * What the console's own "Test connection" cannot show (it answers a bare 500): the probe's step report, the settings
 * in force, the realm's queue and its dead letters, and the delivery log. Under
 * {@code /admin/realms/{realm}/outbound-relay}; every call requires manage-realm, and what changes state is a POST
 * recorded as an admin event. Responses are JSON and never hold a password, token, message body or link.
 *
 * <pre>
 * POST .../outbound-relay/probe[?send=true]          body: none (the realm's saved Email tab) or a proposed smtpServer map
 * GET  .../outbound-relay/status                     saved settings, the live relay's, queue metrics, whether the sender is active
 * GET  .../outbound-relay/metrics                    the queue's metrics snapshot
 * GET  .../outbound-relay/health                     OK / DEGRADED / DOWN with the reasons (view-realm suffices)
 * GET  .../outbound-relay/events                     recent delivery events, oldest first
 * GET  .../outbound-relay/dead-letters[?limit=100]   dead letters, oldest first, with category and remedy
 * POST .../outbound-relay/dead-letters/{id}/retry    queue one again (after fixing the cause)
 * POST .../outbound-relay/dead-letters/{id}/purge    delete one
 * POST .../outbound-relay/dead-letters/purge         delete all
 * </pre>
 * The queue endpoints act on the realm's queue for its saved settings: after a settings change, the first of them
 * (like the realm's next mail) retires the old queue and opens the new one on the same spool.
 */
public final class RelayDiagnosticsResource {
    static final int MAX_DEAD_LETTERS = 1000;
    /** The resource type of the admin events that retries and purges record. */
    static final String ADMIN_EVENT_RESOURCE = "OUTBOUND_RELAY_DEAD_LETTER";
    /** The resource type of the admin event every probe records. */
    static final String PROBE_EVENT_RESOURCE = "OUTBOUND_RELAY_PROBE";

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;
    private final ServerOptions server;
    private final RealmRelays relays;
    private final boolean relayActive;

    RelayDiagnosticsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth,
                             AdminEventBuilder adminEvent, ServerOptions server, RealmRelays relays, boolean relayActive) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent;
        this.server = server;
        this.relays = relays;
        this.relayActive = relayActive;
    }

    /**
     * Runs the probe (DNS, TCP, TLS, EHLO, AUTH, MAIL FROM, and with {@code send=true} also RCPT TO and DATA to the
     * calling administrator's own address) against the realm's saved settings, or against a proposed Email tab map
     * given as the JSON body. Only relays the realm saved or the server lists, within {@link ProbeLimits}; every probe,
     * refused or run, is an admin event of type {@value #PROBE_EVENT_RESOURCE}.
     *
     * @param to no longer accepted: a realm administrator does not choose who receives the test mail
     */
    @POST
    @Path("probe")
    @Produces(MediaType.APPLICATION_JSON)
    public Response probe(@QueryParam("send") boolean send, @QueryParam("to") String to, String body) {
        auth.realm().requireManageRealm();
        Map<String, String> event = new LinkedHashMap<>();
        try {
            return probe(send, to, body, event);
        } finally {
            probeEvent(event);
        }
    }

    /** The probe, noting in {@code event} what was probed and how it ended (or why it was refused). */
    private Response probe(boolean send, String to, String body, Map<String, String> event) {
        boolean proposed = body != null && !body.isBlank();
        event.put("settings", proposed ? "proposed" : "saved");
        event.put("testMail", Boolean.toString(send));
        RelayConfiguration configuration;
        MailAddress recipient;
        try {
            if (to != null) {
                throw new InvalidInputException("to", "names the test mail's recipient, which the caller does not choose",
                        "Use send=true: the test mail goes to your own email address, as the console's Test connection does");
            }
            Map<String, String> saved = realm.getSmtpConfig();
            configuration = RealmSettingsReader.read(session, realm, proposed ? proposedSettings(body) : saved, server);
            event.put("relay", configuration.settings().relayName());
            Optional<InvalidInputException> refused = ProbeLimits.refusal(configuration.settings(), saved, configuration.realm(), server);
            if (refused.isPresent()) {
                event.put("refused", refused.get().field());
                return invalid(Response.Status.FORBIDDEN, refused.get());
            }
            recipient = send ? callerAddress(configuration.settings().allowUtf8()) : null;
        } catch (InvalidInputException e) {
            event.put("invalid", e.field());
            return invalid(e);
        } catch (IllegalArgumentException e) {
            event.put("invalid", "body");
            return json(Response.Status.BAD_REQUEST, Map.of("error", "the body is not a JSON object of Email tab settings: " + e.getMessage()));
        }
        // Within the probe's limits, settings in use are probed through the realm's relay (its TLS context and token
        // cache); others on their own.
        RelayConfiguration limited = configuration.withSettings(ProbeLimits.capped(configuration.settings()));
        Optional<RealmRelay> current = relays.current(realm.getId()).filter(r -> r.configuration().equals(limited));
        ProbeReport report = current.isPresent() ? current.get().probe(recipient) : RelayClient.probe(limited.settings(), recipient);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("realm", realm.getName());
        answer.put("settings", proposed ? "proposed" : "saved");
        answer.put("passed", report.passed());
        event.put("passed", Boolean.toString(report.passed()));
        report.failure().ifPresent(f -> {
            answer.put("category", f.category() == null ? null : f.category().name());
            answer.put("remedy", f.remedy());
            event.put("category", f.category() == null ? "" : f.category().name());
        });
        answer.put("report", report.toMap());
        return json(Response.Status.OK, answer);
    }

    /**
     * The calling administrator's own address, where the test mail goes, as with the console's Test connection.
     *
     * @throws InvalidInputException naming {@code send} when the administrator has none
     */
    private MailAddress callerAddress(boolean allowUtf8) {
        UserModel caller = auth.adminAuth().getUser();
        String email = caller.getEmail();
        if (email == null || email.isBlank()) {
            throw new InvalidInputException("send", "asks for a test mail to your own address, and your account ("
                    + caller.getUsername() + ") has none",
                    "Set an email address on your account, or probe without send=true (no mail is sent then)");
        }
        return SmtpServerMapping.recipient(email, allowUtf8);
    }

    /** Who probed what, and the outcome: relay, settings, category; never a secret or the proposed map. */
    private void probeEvent(Map<String, String> details) {
        adminEvent.operation(OperationType.ACTION).resource(PROBE_EVENT_RESOURCE).resourcePath(RelayDiagnosticsProvider.ID, "probe");
        details.forEach(adminEvent::detail);
        adminEvent.success();
    }

    /**
     * The realm's settings and queue. The spool's place on the server's disk is shown only to administrators of the
     * master realm, who run the server: a realm administrator has no business with its file system.
     */
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
        Optional<RealmRelay> current = relays.current(realm.getId());
        answer.put("relayInUse", current.map(r -> r.configuration().describe()).orElse(null));
        if (callerRunsTheServer()) {
            answer.put("spoolDir", RealmSpools.directory(server.spoolDir(), realm.getId()).toString());
        }
        answer.put("queueStore", current.map(r -> shown(r.queueStore())).orElse(null));
        answer.put("metrics", current.map(r -> r.metrics().toMap()).orElse(null));
        return json(Response.Status.OK, answer);
    }

    /** The queue's {@link io.github.outboundrelay.common.QueueMetrics} snapshot: totals since it opened, depth now. */
    @GET
    @Path("metrics")
    @Produces(MediaType.APPLICATION_JSON)
    public Response metrics() {
        auth.realm().requireManageRealm();
        return withQueue(relay -> json(Response.Status.OK, relay.metrics().toMap()));
    }

    /**
     * The realm's mail in one word with the reasons ({@link RealmHealth}), for a monitor polling every few seconds:
     * from the queue this node has open, without a probe and without opening a queue. Read-only and holding no
     * settings, so view-realm suffices (a monitoring service account needs no manage-realm).
     */
    @GET
    @Path("health")
    @Produces(MediaType.APPLICATION_JSON)
    public Response health() {
        auth.realm().requireViewRealm();
        RealmHealth health = relays.current(realm.getId())
                .map(relay -> RealmHealth.of(relay.metrics(), server.limits().maxQueuedPerRealm()))
                .orElseGet(() -> RealmHealth.noQueue(relayActive
                        ? "no queue open on this node: nothing was queued here since Keycloak started"
                        : "Keycloak sends mail with another provider, not relay"));
        return json(Response.Status.OK, health.toMap(realm.getName()));
    }

    @GET
    @Path("events")
    @Produces(MediaType.APPLICATION_JSON)
    public Response events() {
        auth.realm().requireManageRealm();
        List<Map<String, Object>> events = relays.deliveryLog(realm.getId()).recent().stream()
                .map(DeliveryEvent::toMap).toList();
        return json(Response.Status.OK, Map.of("events", events));
    }

    /** Mail the queue gave up on, oldest first: why (category, the relay's reply), what to do (remedy), when. */
    @GET
    @Path("dead-letters")
    @Produces(MediaType.APPLICATION_JSON)
    public Response deadLetters(@QueryParam("limit") @DefaultValue("100") int limit) {
        auth.realm().requireManageRealm();
        if (limit < 1 || limit > MAX_DEAD_LETTERS) {
            return json(Response.Status.BAD_REQUEST, Map.of("error", "limit is " + limit + ": give 1 to " + MAX_DEAD_LETTERS));
        }
        return withQueue(relay -> {
            List<Map<String, Object>> letters = relay.deadLetters(limit).stream()
                    .map(DeadLetter::toMap).toList();
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("total", relay.metrics().deadLetters());
            answer.put("deadLetters", letters);
            return json(Response.Status.OK, answer);
        });
    }

    /** Queues a dead letter again with a fresh lifetime: for after the cause (password, sender permission) is fixed. */
    @POST
    @Path("dead-letters/{id}/retry")
    @Produces(MediaType.APPLICATION_JSON)
    public Response retryDeadLetter(@PathParam("id") String id) {
        auth.realm().requireManageRealm();
        return withQueue(relay -> {
            if (!relay.retryDeadLetter(id)) {
                return noSuchDeadLetter(id);
            }
            adminEvent(OperationType.ACTION, id + "/retry");
            return json(Response.Status.OK, Map.of("id", id, "retried", true));
        });
    }

    @POST
    @Path("dead-letters/{id}/purge")
    @Produces(MediaType.APPLICATION_JSON)
    public Response purgeDeadLetter(@PathParam("id") String id) {
        auth.realm().requireManageRealm();
        return withQueue(relay -> {
            if (!relay.purgeDeadLetter(id)) {
                return noSuchDeadLetter(id);
            }
            adminEvent(OperationType.DELETE, id);
            return json(Response.Status.OK, Map.of("id", id, "purged", true));
        });
    }

    @POST
    @Path("dead-letters/purge")
    @Produces(MediaType.APPLICATION_JSON)
    public Response purgeDeadLetters() {
        auth.realm().requireManageRealm();
        return withQueue(relay -> {
            int purged = relay.purgeDeadLetters();
            adminEvent(OperationType.DELETE, "*");
            return json(Response.Status.OK, Map.of("purged", (long) purged));
        });
    }

    /** The resource type of the admin events that the suppression list's removals and "poll now" record. */
    static final String BOUNCE_EVENT_RESOURCE = "OUTBOUND_RELAY_BOUNCES";
    static final int MAX_SUPPRESSIONS = 1000;

    /**
     * The realm's bounces (docs/bounces.md): the mailbox settings (never its password), the mailbox's status (last poll,
     * the last failure with its remedy, reports read), which node polls it, the hard-bounce and complaint rates over
     * 24 hours and 7 days with their warnings, and how many addresses are suppressed. view-realm suffices.
     */
    @GET
    @Path("bounces")
    @Produces(MediaType.APPLICATION_JSON)
    public Response bounces() {
        auth.realm().requireViewRealm();
        return withQueue(relay -> {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("realm", realm.getName());
            answer.put("settings", relay.configuration().bounces().describe());
            Optional<io.github.outboundrelay.common.BounceHandling> bounces = relay.bounces();
            answer.put("mailbox", bounces.flatMap(io.github.outboundrelay.common.BounceHandling::status)
                    .map(io.github.outboundrelay.common.BounceMailboxStatus::toMap).orElse(null));
            String pollingNode = relay.bouncePollingNode();
            answer.put("polledByAnotherNode", pollingNode.isEmpty() ? null : pollingNode);
            answer.put("rates", relay.metrics().bounces().toMap());
            return json(Response.Status.OK, answer);
        });
    }

    /**
     * The suppression list: up to {@code limit} entries whose address contains {@code search} (any case), by address,
     * with why each is there. view-realm suffices, as for reading users' emails.
     */
    @GET
    @Path("bounces/suppressions")
    @Produces(MediaType.APPLICATION_JSON)
    public Response suppressions(@QueryParam("search") @DefaultValue("") String search,
                                 @QueryParam("limit") @DefaultValue("100") int limit) {
        auth.realm().requireViewRealm();
        if (limit < 1 || limit > MAX_SUPPRESSIONS) {
            return json(Response.Status.BAD_REQUEST, Map.of("error", "limit is " + limit + ": give 1 to " + MAX_SUPPRESSIONS));
        }
        return withBounces(bounces -> {
            List<Map<String, Object>> entries = bounces.search(search, limit).stream().map(s -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("address", s.address());
                m.put("suppressed", s.suppressed());
                m.put("reason", s.reason().label());
                m.put("status", s.status());
                m.put("diagnostic", s.diagnostic());
                m.put("softBounces", s.softBounces());
                m.put("since", s.since().toString());
                m.put("lastReport", s.lastReport().toString());
                return m;
            }).toList();
            return json(Response.Status.OK, Map.of("suppressions", entries));
        });
    }

    /**
     * Takes an address off the list once it is fixed: mail to it is sent again (on every node within
     * {@link DatabaseSuppressionList#REFRESH}). A POST with manage-realm, recorded as an admin event.
     */
    @POST
    @Path("bounces/suppressions/remove")
    @Produces(MediaType.APPLICATION_JSON)
    public Response removeSuppression(@QueryParam("address") String address) {
        auth.realm().requireManageRealm();
        if (address == null || address.isBlank()) {
            return json(Response.Status.BAD_REQUEST, Map.of("error", "address is missing: give ?address=the address to "
                    + "take off the suppression list"));
        }
        return withBounces(bounces -> {
            boolean removed;
            try {
                removed = bounces.remove(address);
            } catch (IllegalArgumentException e) {
                return json(Response.Status.BAD_REQUEST, Map.of("error", "address is not an address"));
            } catch (java.io.IOException e) {
                return json(Response.Status.SERVICE_UNAVAILABLE, Map.of("error", e.getMessage(),
                        "fix", "Check that Keycloak's database is reachable, then try again"));
            }
            if (!removed) {
                return json(Response.Status.NOT_FOUND, Map.of("error", "that address is not on this realm's suppression list"));
            }
            // The address, masked: the event list is read by more people than the list itself.
            adminEvent.operation(OperationType.DELETE).resource(BOUNCE_EVENT_RESOURCE)
                    .resourcePath(RelayDiagnosticsProvider.ID, "bounces", "suppressions")
                    .detail("address", io.github.outboundrelay.common.RecipientMask.mask(
                            io.github.outboundrelay.common.Suppression.normalize(address))).success();
            return json(Response.Status.OK, Map.of("removed", true));
        });
    }

    /**
     * Reads the bounce mailbox now, on this node if no other node polls it (else 409 naming that node). A POST with
     * manage-realm, recorded as an admin event; answers the mailbox's status after the poll.
     */
    @POST
    @Path("bounces/poll")
    @Produces(MediaType.APPLICATION_JSON)
    public Response pollBounces() {
        auth.realm().requireManageRealm();
        return withQueue(relay -> {
            Optional<BouncePoller.Outcome> outcome = relay.pollBouncesNow();
            if (outcome.isEmpty() || (outcome.get().status().isEmpty() && outcome.get().pollingNode().isEmpty())) {
                return json(Response.Status.CONFLICT, Map.of("error", "this realm has no bounce mailbox: set its IMAP "
                        + "host, user and password on the Outbound relay tab"));
            }
            adminEvent.operation(OperationType.ACTION).resource(BOUNCE_EVENT_RESOURCE)
                    .resourcePath(RelayDiagnosticsProvider.ID, "bounces", "poll").success();
            if (outcome.get().status().isEmpty()) {
                return json(Response.Status.CONFLICT, Map.of("error", "node " + outcome.get().pollingNode()
                        + " polls this realm's bounce mailbox now; ask it, or wait for its next poll"));
            }
            return json(Response.Status.OK, outcome.get().status().get().toMap());
        });
    }

    private Response withBounces(java.util.function.Function<io.github.outboundrelay.common.BounceHandling, Response> action) {
        return withQueue(relay -> relay.bounces().map(action).orElseGet(() -> json(Response.Status.CONFLICT,
                Map.of("error", "this node keeps no suppression list for the realm"))));
    }

    /**
     * Runs {@code action} on the realm's queue for its saved settings, opening it if this node has none yet (its
     * spool may hold mail from before a restart). Answers 409 with the reason when the realm cannot have a queue.
     */
    private Response withQueue(java.util.function.Function<RealmRelay, Response> action) {
        RealmRelay relay;
        Optional<RealmRelay> current = relays.current(realm.getId());
        Map<String, String> smtp = realm.getSmtpConfig();
        if (current.isEmpty() && !relayActive) {
            return json(Response.Status.CONFLICT, Map.of("error", "Keycloak sends mail with another provider, so this "
                    + "realm has no queue: start Keycloak with --spi-email-sender--provider=relay"));
        } else if (smtp == null || smtp.isEmpty()) {
            if (current.isEmpty()) {
                return json(Response.Status.CONFLICT, Map.of("error", "the realm's Email tab is not configured"));
            }
            relay = current.get();
        } else {
            try {
                relay = relays.forRealm(realm.getId(), realm.getName(), RealmSettingsReader.read(session, realm, smtp, server));
            } catch (InvalidInputException e) {
                // Saved settings that cannot be used: the queue of the last good ones, if any, still answers.
                if (current.isEmpty()) {
                    return invalid(Response.Status.CONFLICT, e);
                }
                relay = current.get();
            } catch (SpoolException e) {
                return spoolUnavailable(e);
            } catch (MailNotQueuedException e) {
                return json(Response.Status.SERVICE_UNAVAILABLE, Map.of("error", e.getMessage()));
            }
        }
        try {
            return action.apply(relay);
        } catch (InvalidInputException e) {
            return invalid(e); // such as a dead-letter id that is not one
        } catch (SpoolException e) {
            return spoolUnavailable(e);
        }
    }

    private Response spoolUnavailable(SpoolException e) {
        return json(Response.Status.SERVICE_UNAVAILABLE, Map.of("error", shown(e.getMessage()), "fix", shown(e.fix())));
    }

    /** Whether the caller is an administrator of the master realm: the one who runs this server. */
    private boolean callerRunsTheServer() {
        return Config.getAdminRealm().equals(auth.adminAuth().getRealm().getName());
    }

    /** The text with the server's spool directory replaced by {@code <spool-dir>}, unless the caller runs the server. */
    private String shown(String text) {
        return text == null || callerRunsTheServer() ? text : text.replace(server.spoolDir().toString(), "<spool-dir>");
    }

    private void adminEvent(OperationType operation, String deadLetter) {
        adminEvent.operation(operation).resource(ADMIN_EVENT_RESOURCE)
                .resourcePath(RelayDiagnosticsProvider.ID, "dead-letters", deadLetter).success();
    }

    private static Response noSuchDeadLetter(String id) {
        return json(Response.Status.NOT_FOUND, Map.of("error", "no dead letter " + id + " in this realm's queue "
                + "(already retried or purged?)"));
    }

    /** The proposed Email tab; a masked secret means the saved one if it goes to the same relay and user. */
    private Map<String, String> proposedSettings(String body) {
        Map<String, String> smtp = new HashMap<>();
        HostJson.parseObject(body).forEach((k, v) -> smtp.put(k, v == null ? null : String.valueOf(v)));
        return ProposedSettings.withSavedSecrets(smtp, realm.getSmtpConfig());
    }

    private static Response invalid(InvalidInputException e) {
        return invalid(Response.Status.BAD_REQUEST, e);
    }

    private static Response invalid(Response.Status status, InvalidInputException e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("error", e.getMessage());
        map.put("field", e.field());
        map.put("problem", e.problem());
        map.put("fix", e.fix());
        return json(status, map);
    }

    private static Response json(Response.Status status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(HostJson.write(body)).build();
    }
}
