// The provider's admin REST resource (/admin/realms/{realm}/outbound-relay/...), called with the administrator's own
// console login. The stock console keeps its token inside its bundle; this module sees it the only way a theme script
// can: as the console's requests carry it (Authorization header) and as Keycloak's token endpoint answers the console
// (code exchange, refresh). Tokens stay in this module's memory, as the console's own do, and go nowhere else.
// Why a theme script and not a rebuilt console: docs/keycloak.md "Console page".

const environment = JSON.parse(document.getElementById("environment").textContent);
const adminBase = environment.adminBaseUrl.replace(/\/+$/, "");
const tokenEndpoint = environment.authServerUrl.replace(/\/+$/, "")
    + "/realms/" + encodeURIComponent(environment.realm) + "/protocol/openid-connect/token";
const consoleFetch = window.fetch.bind(window);

let accessToken = null;
let refreshToken = null;

/** Seconds until the JWT expires; Infinity when it carries no expiry (an offline token), -Infinity if unreadable. */
function secondsLeft(jwt) {
    try {
        const payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
        return payload.exp ? payload.exp - Date.now() / 1000 : Infinity;
    } catch (e) {
        return -Infinity;
    }
}

function urlOf(input) {
    return typeof input === "string" ? input : input instanceof Request ? input.url : String(input);
}

function noteTokens(answer) {
    if (answer && typeof answer.access_token === "string") {
        accessToken = answer.access_token;
        if (typeof answer.refresh_token === "string") {
            refreshToken = answer.refresh_token;
        }
    }
}

window.fetch = async function (input, init) {
    const url = urlOf(input);
    if (url.startsWith(adminBase + "/admin/")) {
        const headers = new Headers(init && init.headers ? init.headers : input instanceof Request ? input.headers : undefined);
        const authorization = headers.get("Authorization");
        if (authorization && authorization.startsWith("Bearer ")) {
            accessToken = authorization.substring("Bearer ".length);
        }
    }
    const response = await consoleFetch(input, init);
    if (url.split("?")[0] === tokenEndpoint && response.ok) {
        response.clone().json().then(noteTokens, () => undefined);
    }
    return response;
};

/** Thrown when the console's login can no longer be used from here: the page says to reload. */
export class SessionExpired extends Error {
}

async function currentToken() {
    if (accessToken && secondsLeft(accessToken) > 10) {
        return accessToken;
    }
    if (refreshToken && secondsLeft(refreshToken) > 10) {
        const body = new URLSearchParams({grant_type: "refresh_token", client_id: environment.clientId, refresh_token: refreshToken});
        const response = await consoleFetch(tokenEndpoint, {method: "POST", body, credentials: "include"});
        if (response.ok) {
            noteTokens(await response.json());
            return accessToken;
        }
    }
    if (accessToken && secondsLeft(accessToken) > 0) {
        return accessToken;
    }
    throw new SessionExpired("the console's login expired");
}

/** Whether the console has made an authenticated call this page can follow (it has, once it shows a realm). */
export function signedIn() {
    return accessToken !== null;
}

/**
 * Calls the realm's outbound-relay resource. Answers {status, body} whatever the status; body is the parsed JSON (the
 * resource answers JSON, errors with "error" and often "fix"), or {error: text} when the answer is not JSON.
 */
export async function call(realm, method, path, body) {
    const token = await currentToken();
    const headers = {"Authorization": "Bearer " + token, "Accept": "application/json"};
    if (body !== undefined) {
        headers["Content-Type"] = "application/json";
    }
    const response = await consoleFetch(adminBase + "/admin/realms/" + encodeURIComponent(realm) + "/outbound-relay/" + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed;
    try {
        parsed = text ? JSON.parse(text) : {};
    } catch (e) {
        parsed = {error: response.status + " " + response.statusText};
    }
    return {status: response.status, body: parsed};
}
