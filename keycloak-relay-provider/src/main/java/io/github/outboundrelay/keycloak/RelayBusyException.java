package io.github.outboundrelay.keycloak;

/** The hand-over is full (or Keycloak is stopping): the mail was not taken, and the caller is told so. */
final class RelayBusyException extends Exception {
    RelayBusyException(String message) {
        super(message);
    }

    RelayBusyException(String realm, int capacity) {
        this("realm " + realm + ": " + capacity + " mails are already waiting for the relay; it is too slow or down. "
                        + "Check the relay with the Outbound relay diagnostics, or raise "
                        + ServerOptions.option(ServerOptions.HAND_OVER_CAPACITY));
    }
}
