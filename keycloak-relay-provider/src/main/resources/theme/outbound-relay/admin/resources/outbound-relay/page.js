// The console's "Outbound relay" page: the probe step by step, the realm's queue (depth, oldest, relays, recent events)
// and its dead letters with retry and purge. Everything shown comes from the provider's admin REST resource, which
// also decides who may do what: this page only hides what the resource would refuse. Text from the server is always
// set as text, never as markup. Layout and the choice of a theme script: docs/keycloak.md "Console page".

import {call, SessionExpired, signedIn} from "./api.js";

const ROUTE = /^#\/([^/?]+)\/outbound-relay\/?$/;
const PAGE_ID = "outbound-relay-page";
const NAV_ID = "nav-item-outbound-relay";
const OPEN_CLASS = "outbound-relay-open";

/** Builds an element: attributes (on* are listeners) and children (strings become text nodes, null is skipped). */
function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
        if (name.startsWith("on")) {
            node.addEventListener(name.substring(2), value);
        } else if (value !== null && value !== undefined && value !== false) {
            node.setAttribute(name, value === true ? "" : value);
        }
    }
    for (const child of children.flat(Infinity)) {
        if (child !== null && child !== undefined) {
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
        }
    }
    return node;
}

function notice(variant, title, text, testId) {
    return el("div", {"class": "pf-v5-c-alert pf-m-inline pf-m-" + variant, "data-testid": testId},
        el("p", {"class": "pf-v5-c-alert__title"}, title),
        text ? el("div", {"class": "pf-v5-c-alert__description"}, text) : null);
}

function card(title, testId, ...body) {
    return el("section", {"class": "pf-v5-c-card outbound-relay-card", "data-testid": testId},
        el("div", {"class": "pf-v5-c-card__title"}, el("h2", {"class": "pf-v5-c-title pf-m-lg"}, title)),
        el("div", {"class": "pf-v5-c-card__body"}, ...body));
}

function button(label, variant, testId, onclick) {
    return el("button", {"type": "button", "class": "pf-v5-c-button pf-m-" + variant, "data-testid": testId, onclick}, label);
}

function table(testId, headings, rows) {
    return el("table", {"class": "pf-v5-c-table pf-m-compact pf-m-grid-md", "role": "grid", "data-testid": testId},
        el("thead", {"class": "pf-v5-c-table__thead"}, el("tr", {"class": "pf-v5-c-table__tr"},
            headings.map(h => el("th", {"class": "pf-v5-c-table__th", "scope": "col"}, h)))),
        el("tbody", {"class": "pf-v5-c-table__tbody"}, rows));
}

function cell(label, ...content) {
    return el("td", {"class": "pf-v5-c-table__td", "data-label": label}, ...content);
}

/** An answer the resource refused or could not give, as one alert: its error and, when it has one, its fix. */
function failure(answer, testId) {
    const body = answer.body || {};
    return notice("danger", body.error || ("HTTP " + answer.status), body.fix || body.problem || null, testId);
}

/** An instant as the resource writes it (ISO-8601, nanoseconds) to the second, in UTC: "2026-12-03 12:07:52 UTC". */
function when(instant) {
    return instant ? String(instant).replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "-";
}

function describe(map) {
    return el("dl", {"class": "outbound-relay-figures"},
        Object.entries(map || {}).map(([key, value]) => [el("dt", {}, key),
            el("dd", {}, value === null || value === undefined ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value))]));
}

/** The page for one realm; rebuilt when the administrator opens it or switches realm. */
class RelayPage {
    constructor(realm) {
        this.realm = realm;
        this.root = el("main", {"id": PAGE_ID, "class": "pf-v5-c-page__main", "tabindex": "-1", "data-realm": realm});
        this.message = el("div", {"data-testid": "relay-message"});
        this.health = el("div");
        this.settings = el("div");
        this.probe = el("div");
        this.queue = el("div");
        this.deadLetters = el("div");
        this.bounces = el("div");
        this.bounceSearch = "";
        this.root.append(
            el("section", {"class": "pf-v5-c-page__main-section pf-m-light"},
                el("h1", {"class": "pf-v5-c-title pf-m-2xl"}, "Outbound relay"),
                el("p", {}, "How realm ", el("strong", {}, realm), " sends its mail: test the relay step by step, "
                    + "watch the queue, and retry or purge what the relay refused.")),
            el("section", {"class": "pf-v5-c-page__main-section"},
                this.message, this.health, this.probe, this.queue, this.deadLetters, this.bounces, this.settings));
    }

    async load() {
        try {
            const health = await call(this.realm, "GET", "health");
            this.health.replaceChildren(health.status === 200 ? this.healthCard(health.body) : failure(health, "relay-health-error"));
            const status = await call(this.realm, "GET", "status");
            if (status.status === 403) {
                // The resource allows everything but health to manage-realm only; say so instead of showing buttons.
                this.settings.replaceChildren(notice("info", "Read only: your account does not have manage-realm in this realm",
                    "You see the realm's mail health. Running the probe, the queue's details and retrying or purging "
                    + "dead letters need the realm-management role manage-realm.", "relay-read-only"));
                return;
            }
            this.settings.replaceChildren(status.status === 200 ? this.settingsCard(status.body) : failure(status, "relay-status-error"));
            this.probe.replaceChildren(this.probeCard());
            await this.loadQueue();
            await this.loadBounces();
        } catch (e) {
            this.show(e);
        }
    }

    /** Shows what went wrong in the page's message area: an expired login gets a reload button. */
    show(e) {
        if (e instanceof SessionExpired) {
            this.message.replaceChildren(notice("warning", "Your console login expired on this page",
                "Reload the page to sign in again.", "relay-session-expired"),
                button("Reload", "secondary", "relay-reload", () => window.location.reload()));
        } else {
            this.message.replaceChildren(notice("danger", "The page could not reach the outbound-relay resource", String(e), "relay-page-error"));
        }
    }

    healthCard(health) {
        const variant = {OK: "success", DEGRADED: "warning", DOWN: "danger"}[health.status] || "info";
        return card("Health", "relay-health",
            notice(variant, "Mail is " + health.status, null, "relay-health-status"),
            el("ul", {}, (health.reasons || []).map(r => el("li", {}, r))));
    }

    settingsCard(status) {
        return card("Settings in force", "relay-settings",
            el("p", {}, "Email sender: ", el("strong", {}, status.emailSender)),
            status.problem ? notice("warning", status.problem, null, "relay-settings-problem") : null,
            status.configuration ? el("details", {}, el("summary", {}, "The saved configuration, as the relay reads it"),
                describe(status.configuration)) : null);
    }

    probeCard() {
        const sendBox = el("input", {"type": "checkbox", "id": "relay-probe-send", "class": "pf-v5-c-check__input", "data-testid": "relay-probe-send"});
        const result = el("div", {"data-testid": "relay-probe-result"});
        const run = button("Run probe", "primary", "relay-run-probe", async () => {
            run.disabled = true;
            result.replaceChildren(el("p", {}, "Probing the saved relay…"));
            try {
                const answer = await call(this.realm, "POST", "probe" + (sendBox.checked ? "?send=true" : ""));
                result.replaceChildren(answer.status === 200 ? this.probeReport(answer.body) : failure(answer, "relay-probe-refused"));
            } catch (e) {
                result.replaceChildren();
                this.show(e);
            } finally {
                run.disabled = false;
            }
        });
        return card("Probe", "relay-probe",
            el("p", {}, "Connects to the realm's saved relay as a mail would: DNS, TCP, TLS, EHLO, AUTH, MAIL FROM; "
                + "with a test mail also RCPT TO and DATA to your own address. Nothing else is sent."),
            el("div", {"class": "pf-v5-c-check"}, sendBox,
                el("label", {"class": "pf-v5-c-check__label", "for": "relay-probe-send"}, "Also send a test mail to my address")),
            el("p", {}, run),
            result);
    }

    probeReport(answer) {
        const report = answer.report || {};
        const head = answer.passed
            ? notice("success", "Every step passed: " + report.relay + " (" + report.tlsMode + ")", null, "relay-probe-passed")
            : el("div", {"class": "pf-v5-c-alert pf-m-inline pf-m-danger", "data-testid": "relay-probe-failed"},
                el("p", {"class": "pf-v5-c-alert__title"}, "Failed: ", el("span", {"data-testid": "relay-probe-category"}, answer.category || "unknown")),
                el("div", {"class": "pf-v5-c-alert__description", "data-testid": "relay-probe-remedy"}, answer.remedy || ""));
        const rows = (report.steps || []).map(step => el("tr", {"class": "pf-v5-c-table__tr", "data-testid": "relay-probe-step", "data-step": step.step, "data-outcome": step.outcome},
            cell("Step", step.step),
            cell("Outcome", el("span", {"class": "outbound-relay-outcome outbound-relay-" + String(step.outcome).toLowerCase()}, step.outcome)),
            cell("Time", step.elapsedMillis + " ms"),
            cell("Summary", step.summary, step.reply ? el("div", {"class": "outbound-relay-reply"}, step.reply) : null),
            cell("Category and remedy", step.category ? el("div", {}, el("strong", {}, step.category), " ", step.remedy || "") : "")));
        return el("div", {}, head, table("relay-probe-steps", ["Step", "Outcome", "Time", "Summary", "Category and remedy"], rows),
            el("details", {}, el("summary", {}, "SMTP transcript"),
                el("pre", {"class": "outbound-relay-transcript"}, (report.transcript || []).join("\n"))));
    }

    async loadQueue() {
        const [metrics, events, letters] = await Promise.all([
            call(this.realm, "GET", "metrics"), call(this.realm, "GET", "events"), call(this.realm, "GET", "dead-letters")]);
        this.queue.replaceChildren(metrics.status === 200 ? this.queueCard(metrics.body, events) : failure(metrics, "relay-queue-error"));
        this.deadLetters.replaceChildren(letters.status === 200 ? this.deadLettersCard(letters.body) : failure(letters, "relay-dead-letters-error"));
    }

    queueCard(m, events) {
        const figures = {"Queued now": m.queueDepth, "Oldest queued": m.oldestMessageAgeSeconds + " s", "Submitted": m.submitted,
            "Sent": m.sent, "Deferred": m.deferred, "Failed": m.failed, "Dead letters": m.deadLetters,
            "Refused for good, last hour": (100 * (m.bounceRateLastHour || 0)).toFixed(1) + " % of sent and refused",
            "Failures by category": Object.entries(m.failuresByCategory || {}).map(([c, n]) => c + ": " + n).join(", ") || "none"};
        const relays = (m.relays || []).map(r => el("tr", {"class": "pf-v5-c-table__tr", "data-testid": "relay-state", "data-relay": r.relay},
            cell("Relay", r.relay), cell("State", r.status), cell("In flight", r.inFlight), cell("Sent", r.sent),
            cell("Failed", r.failed), cell("Last failure", r.lastFailure ? r.lastFailure + (r.lastFailureDetail ? ": " + r.lastFailureDetail : "") : "-"),
            cell("Next try", when(r.retryAt))));
        const recent = events.status === 200
            ? table("relay-events", ["Time", "Outcome", "Relay", "Recipients", "Category", "Reply"],
                (events.body.events || []).slice(-20).reverse().map(e => el("tr", {"class": "pf-v5-c-table__tr", "data-testid": "relay-event", "data-outcome": e.outcome},
                    cell("Time", when(e.time)), cell("Outcome", e.outcome), cell("Relay", e.relay || "-"),
                    cell("Recipients", (e.recipients || []).join(", ")), cell("Category", e.category || "-"), cell("Reply", e.reply || "-"))))
            : failure(events, "relay-events-error");
        return card("Queue", "relay-queue",
            el("p", {}, button("Refresh", "secondary", "relay-refresh", () => this.loadQueue().catch(e => this.show(e)))),
            describe(figures),
            el("h3", {"class": "pf-v5-c-title pf-m-md"}, "Relays"),
            table("relay-relays", ["Relay", "State", "In flight", "Sent", "Failed", "Last failure", "Next try"], relays),
            el("h3", {"class": "pf-v5-c-title pf-m-md"}, "Recent events (newest first)"),
            recent);
    }

    deadLettersCard(answer) {
        const letters = answer.deadLetters || [];
        const rows = letters.map(d => el("tr", {"class": "pf-v5-c-table__tr", "data-testid": "relay-dead-letter", "data-id": d.id},
            cell("Subject", d.subject || "-"), cell("Recipients", (d.recipients || []).join(", ")),
            cell("Why", el("strong", {}, d.category), " (" + d.reason + ") ", el("div", {"class": "outbound-relay-reply"}, d.reply || "")),
            cell("Remedy", d.remedy || ""), cell("Attempts", d.attempts), cell("Given up", when(d.deadLettered)),
            cell("", button("Retry", "secondary", "relay-retry", () => this.act("dead-letters/" + encodeURIComponent(d.id) + "/retry", "Queued again: " + (d.subject || d.id))),
                " ", button("Purge", "danger", "relay-purge", () => this.act("dead-letters/" + encodeURIComponent(d.id) + "/purge", "Purged: " + (d.subject || d.id))))));
        const purgeAll = el("span", {});
        purgeAll.append(button("Purge all", "danger", "relay-purge-all", () => purgeAll.replaceChildren(
            "Delete all " + answer.total + " dead letters for good? ",
            button("Purge all", "danger", "relay-purge-all-confirm", () => this.act("dead-letters/purge", "Purged every dead letter")),
            " ", button("Cancel", "link", "relay-purge-all-cancel", () => this.loadQueue().catch(e => this.show(e))))));
        return card("Dead letters (" + answer.total + ")", "relay-dead-letters",
            el("p", {}, "Mail the queue gave up on. Fix the cause (the remedy says how), then retry: the mail is queued "
                + "again with a fresh lifetime."),
            letters.length ? el("p", {}, purgeAll) : el("p", {"data-testid": "relay-no-dead-letters"}, "None."),
            letters.length ? table("relay-dead-letter-table", ["Subject", "Recipients", "Why", "Remedy", "Attempts", "Given up", ""], rows) : null);
    }

    async loadBounces() {
        const [bounces, list] = await Promise.all([call(this.realm, "GET", "bounces"),
            call(this.realm, "GET", "bounces/suppressions?limit=100&search=" + encodeURIComponent(this.bounceSearch))]);
        this.bounces.replaceChildren(bounces.status === 200 ? this.bouncesCard(bounces.body, list) : failure(bounces, "relay-bounces-error"));
    }

    /** The bounce mailbox's last poll, the rates with their warnings, and the suppression list with search and remove. */
    bouncesCard(b, list) {
        const settings = b.settings || {};
        const mailbox = b.mailbox;
        const rates = b.rates || {};
        const day = rates.last24Hours || {};
        const week = rates.last7Days || {};
        const percent = x => (100 * (x || 0)).toFixed(2) + " %";
        let status;
        if (!settings.mailboxConfigured) {
            status = notice("info", "No bounce mailbox", "Set the bounce mailbox's IMAP host, user and password on the "
                + "realm's Outbound relay tab to read bounce and complaint reports.", "relay-bounces-none");
        } else if (b.polledByAnotherNode) {
            status = notice("info", "Node " + b.polledByAnotherNode + " reads this mailbox", "Its last poll is shown on that node.", "relay-bounces-other-node");
        } else if (!mailbox || !mailbox.lastPoll) {
            status = notice("info", "The mailbox was not read yet", null, "relay-bounces-not-polled");
        } else if (mailbox.failure) {
            status = el("div", {"class": "pf-v5-c-alert pf-m-inline pf-m-danger", "data-testid": "relay-bounces-failed"},
                el("p", {"class": "pf-v5-c-alert__title"}, "The last poll failed: ", el("span", {"data-testid": "relay-bounces-failure"}, mailbox.failure)),
                el("div", {"class": "pf-v5-c-alert__description", "data-testid": "relay-bounces-remedy"},
                    (mailbox.failureDetail ? mailbox.failureDetail + ". " : "") + (mailbox.remedy || "")));
        } else {
            status = notice("success", "Read at " + when(mailbox.lastPoll), null, "relay-bounces-read");
        }
        const figures = {
            "Mailbox": settings.mailboxConfigured ? settings.user + " at " + settings.host + ":" + settings.port
                + " (" + settings.tlsMode + "), folder " + settings.folder + (settings.verp ? ", VERP" : "") : "-",
            "Last successful poll": mailbox ? when(mailbox.lastSuccess) : "-",
            "Reports read": mailbox ? Object.entries(mailbox.reports || {}).map(([kind, n]) => kind + ": " + n).join(", ") : "-",
            "Hard-bounce rate": percent(day.hardBounceRate) + " (24 h), " + percent(week.hardBounceRate) + " (7 days)",
            "Complaint rate": percent(day.complaintRate) + " (24 h), " + percent(week.complaintRate) + " (7 days)",
            "Suppressed addresses": rates.suppressedRecipients};
        const searchBox = el("input", {"type": "search", "class": "pf-v5-c-form-control", "aria-label": "Search addresses",
            "placeholder": "Search addresses", "value": this.bounceSearch, "data-testid": "relay-suppression-search"});
        const search = () => {
            this.bounceSearch = searchBox.value;
            this.loadBounces().catch(e => this.show(e));
        };
        searchBox.addEventListener("keydown", e => {
            if (e.key === "Enter") {
                search();
            }
        });
        const entries = list.status === 200 ? (list.body.suppressions || []) : [];
        const rows = entries.map(s => el("tr", {"class": "pf-v5-c-table__tr", "data-testid": "relay-suppression", "data-address": s.address},
            cell("Address", s.address), cell("Stopped", s.suppressed ? "yes" : "counting"), cell("Why", s.reason),
            cell("Status", s.status || "-"), cell("Diagnostic", s.diagnostic || "-"), cell("Soft bounces", s.softBounces),
            cell("Last report", when(s.lastReport)),
            cell("", button("Remove", "secondary", "relay-suppression-remove",
                () => this.act("bounces/suppressions/remove?address=" + encodeURIComponent(s.address), "Removed " + s.address
                    + " from the list: mail to it is sent again", () => this.loadBounces())))));
        return card("Bounces", "relay-bounces",
            status,
            (rates.warnings || []).map(w => notice("warning", w, null, "relay-bounce-warning")),
            el("p", {}, button("Poll now", "secondary", "relay-bounces-poll", () => this.act("bounces/poll", "The bounce mailbox was read", () => this.loadBounces())),
                " ", button("Refresh", "link", "relay-bounces-refresh", () => this.loadBounces().catch(e => this.show(e)))),
            describe(figures),
            el("h3", {"class": "pf-v5-c-title pf-m-md"}, "Suppression list"),
            el("p", {}, "Mail to a suppressed address is not sent. Remove an address once it is fixed."),
            el("p", {}, searchBox, " ", button("Search", "secondary", "relay-suppression-search-button", search)),
            list.status !== 200 ? failure(list, "relay-suppressions-error")
                : entries.length ? table("relay-suppression-table", ["Address", "Stopped", "Why", "Status", "Diagnostic", "Soft bounces", "Last report", ""], rows)
                : el("p", {"data-testid": "relay-no-suppressions"}, "None."));
    }

    /** A POST on the resource, then reload (the queue's cards by default): the answer is shown above the cards. */
    async act(path, done, reload = () => this.loadQueue()) {
        try {
            const answer = await call(this.realm, "POST", path);
            this.message.replaceChildren(answer.status === 200 ? notice("success", done, null, "relay-action-done") : failure(answer, "relay-action-refused"));
            await reload();
        } catch (e) {
            this.show(e);
        }
    }
}

let page = null;

/** The route's realm, or null when another console page is open. */
function routeRealm() {
    const match = ROUTE.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
}

/** The realm the console shows, from its own routes (#/{realm}/...). */
function consoleRealm() {
    const match = /^#\/([^/?]+)/.exec(window.location.hash);
    return match ? decodeURIComponent(match[1]) : null;
}

/** Adds "Outbound relay" after the console's "Realm settings" in the navigation, pointing at the current realm. */
function syncNav() {
    const realmSettings = document.getElementById("nav-item-realm-settings");
    const realm = consoleRealm();
    if (!realmSettings || !realm) {
        return;
    }
    let link = document.getElementById(NAV_ID);
    if (!link) {
        const item = realmSettings.closest("li");
        link = el("a", {"id": NAV_ID, "class": "pf-v5-c-nav__link"}, "Outbound relay");
        item.after(el("li", {"class": item.className}, link));
    }
    const href = "#/" + encodeURIComponent(realm) + "/outbound-relay";
    if (link.getAttribute("href") !== href) {
        link.setAttribute("href", href);
    }
    link.classList.toggle("pf-m-current", routeRealm() !== null);
}

/** Shows the page in place of the console's main area while the route is ours; the console's own stays untouched. */
function syncPage() {
    const realm = routeRealm();
    document.body.classList.toggle(OPEN_CLASS, realm !== null);
    if (realm === null) {
        if (page) {
            page.root.remove();
            page = null;
        }
        return;
    }
    const consoleMain = document.querySelector("main.pf-v5-c-page__main:not(#" + PAGE_ID + ")");
    if (!consoleMain || !signedIn()) {
        return; // the console is still signing in or loading: the observer calls again
    }
    if (!page || page.realm !== realm) {
        page?.root.remove();
        page = new RelayPage(realm);
        page.load();
    }
    if (page.root.previousElementSibling !== consoleMain) {
        consoleMain.after(page.root);
    }
}

let scheduled = false;

function sync() {
    if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(() => {
            scheduled = false;
            syncNav();
            syncPage();
        });
    }
}

window.addEventListener("hashchange", sync);
new MutationObserver(sync).observe(document.body, {childList: true, subtree: true});
sync();
