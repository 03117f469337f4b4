package io.github.outboundrelay.common;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The delivery log: each event goes to {@link System.Logger} (logger {@value #LOGGER_NAME}; Jenkins and Keycloak
 * both route it) and into a bounded ring buffer an admin page can show. Recording never throws.
 *
 * <pre>{@code
 * DeliveryLog log = new DeliveryLog(500);
 * RelayClient client = RelayClient.create(settings, log);
 * log.recent().forEach(e -> System.out.println(e.toLogLine()));
 * }</pre>
 */
public final class DeliveryLog {
    public static final String LOGGER_NAME = "io.github.outboundrelay.delivery";
    public static final int DEFAULT_CAPACITY = 500;

    private static final System.Logger LOGGER = System.getLogger(LOGGER_NAME);

    private final int capacity;
    private final Deque<DeliveryEvent> recent; // guarded by this
    private final Consumer<DeliveryEvent> listener;

    public DeliveryLog(int capacity) {
        this(capacity, event -> { });
    }

    /**
     * A log that also hands each event to {@code listener} once it is recorded, on the recording thread (a sender of
     * the queue): the listener must return quickly and never block on the relay; whatever it throws is ignored. For a
     * host that reacts to failures, such as Keycloak's "debug" switch logging a probe after a failed delivery.
     */
    public DeliveryLog(int capacity, Consumer<DeliveryEvent> listener) {
        if (capacity < 1) {
            throw new InvalidInputException("deliveryLogCapacity", "is " + capacity, "Keep at least one event");
        }
        this.capacity = capacity;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.recent = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    public void record(DeliveryEvent event) {
        try {
            synchronized (this) {
                if (recent.size() == capacity) {
                    recent.removeFirst();
                }
                recent.addLast(event);
            }
            System.Logger.Level level = switch (event.outcome()) {
                case SENT, FANNED_OUT -> System.Logger.Level.INFO;
                // Nothing went wrong, and a flood of "forgot password" makes one per request: not a line each.
                case SUPERSEDED -> System.Logger.Level.DEBUG;
                default -> System.Logger.Level.WARNING;
            };
            if (LOGGER.isLoggable(level)) { // The line costs more than the check; a busy queue logs thousands a second.
                LOGGER.log(level, event.toLogLine());
            }
        } catch (RuntimeException e) {
            // A broken log handler must never fail a delivery.
        }
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            // Nor a broken listener.
        }
    }

    /** The most recent events, oldest first. */
    public synchronized List<DeliveryEvent> recent() {
        return new ArrayList<>(recent);
    }
}
