package io.github.outboundrelay.keycloak;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/**
 * JSON with the Jackson Keycloak ships: relay-common's own JSON is internal to it (docs/architecture.md), and the
 * values the provider writes are relay-common's views ({@code toMap()}) and maps of strings and numbers. A mapper of
 * our own rather than Keycloak's {@code JsonSerialization}, which drops null fields: the resource's answers keep a
 * key whose null means "none" ({@code "metrics": null} when no queue runs).
 */
final class HostJson {
    /** Input nests at most this deep: a deeper body is refused before it can exhaust the stack. */
    static final int MAX_DEPTH = 64;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() { };

    private HostJson() {
    }

    /** Maps, lists, strings, numbers, booleans and null as JSON text. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /**
     * Parses one JSON object.
     *
     * @throws IllegalArgumentException when the text is not one JSON object, or nests deeper than {@value #MAX_DEPTH}
     */
    static Map<String, Object> parseObject(String text) {
        try {
            Map<String, Object> map = MAPPER.readValue(text, OBJECT);
            if (map == null) {
                throw new IllegalArgumentException("not a single JSON object");
            }
            return map;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a single JSON object: " + e.getOriginalMessage(), e);
        }
    }
}
