package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.json.Json;
import io.github.outboundrelay.common.Receipt;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A receipt or a delivery failure, as lines for a person or as JSON for a script. */
public final class DeliveryOutput {
    private DeliveryOutput() {
    }

    static String text(Receipt receipt) {
        StringBuilder out = new StringBuilder();
        out.append(receipt.rejected().isEmpty() ? "Sent." : "Sent, but the relay refused some recipients.").append('\n');
        out.append("  Message-ID:  ").append(receipt.messageId()).append('\n');
        out.append("  relay:       ").append(receipt.relay()).append(" (")
                .append(receipt.reusedConnection() ? "reused connection" : "new connection").append(", ")
                .append(receipt.duration().toMillis()).append(" ms)\n");
        out.append("  accepted:    ").append(receipt.accepted().isEmpty() ? "none" : String.join(", ", receipt.accepted())).append('\n');
        if (receipt.rejected().isEmpty()) {
            out.append("  rejected:    none\n");
        }
        for (Receipt.RejectedRecipient r : receipt.rejected()) {
            out.append("  rejected:    ").append(r.address()).append(": ").append(r.reply()).append(" (")
                    .append(r.category()).append(")\n");
        }
        out.append("  final reply: ").append(receipt.finalReply()).append('\n');
        return out.toString();
    }

    static String json(Receipt receipt) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("sent", true);
        map.put("messageId", receipt.messageId());
        map.put("relay", receipt.relay());
        map.put("accepted", receipt.accepted());
        List<Map<String, Object>> rejected = receipt.rejected().stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", r.address());
            m.put("reply", String.valueOf(r.reply()));
            m.put("category", r.category() == null ? null : r.category().name());
            return m;
        }).toList();
        map.put("rejected", rejected);
        map.put("finalReply", receipt.finalReply().toString());
        map.put("durationMillis", receipt.duration().toMillis());
        map.put("reusedConnection", receipt.reusedConnection());
        return Json.write(map) + "\n";
    }

    static String text(DeliveryException e) {
        return "Not sent: " + e.getMessage() + "\n"
                + "  category: " + e.category() + (e.isTransient()
                        ? " (transient: the same mail may go through later)" : " (permanent: retrying will not help)") + "\n"
                + "  reply:    " + e.reply().map(Object::toString).orElse("none (no reply from the relay)") + "\n"
                + "  remedy:   " + e.remedy() + "\n";
    }

    static String json(DeliveryException e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("sent", false);
        map.put("category", e.category().name());
        map.put("transient", e.isTransient());
        map.put("relay", e.relay());
        map.put("reply", e.reply().map(Object::toString).orElse(null));
        map.put("remedy", e.remedy());
        map.put("detail", e.getMessage());
        return Json.write(map) + "\n";
    }
}
