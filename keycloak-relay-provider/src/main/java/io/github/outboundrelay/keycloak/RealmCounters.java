package io.github.outboundrelay.keycloak;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What a realm's mail did since Keycloak started; kept across relay rebuilds so a settings change resets nothing. */
final class RealmCounters {
    final AtomicLong handedOver = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    Map<String, Object> snapshot() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("handedOver", handedOver.get());
        map.put("sent", sent.get());
        map.put("failed", failed.get());
        map.put("refusedBusy", refused.get());
        return map;
    }
}
