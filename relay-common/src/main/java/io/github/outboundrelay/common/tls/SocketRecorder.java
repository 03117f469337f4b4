package io.github.outboundrelay.common.tls;

import java.net.Socket;

/**
 * The last socket relay-common's factories made on this thread. Angus connects, says STARTTLS and layers TLS with
 * our factories but does not tell which socket it ended up talking over; {@code RelayConnection} asks here right
 * after Angus connected, so that its DATA writer can write the message to that very socket in bulk.
 */
public final class SocketRecorder {
    private static final ThreadLocal<Socket> LAST = new ThreadLocal<>();

    private SocketRecorder() {
    }

    /** Called by the factories with every socket they hand out. */
    public static <S extends Socket> S made(S socket) {
        LAST.set(socket);
        return socket;
    }

    /** The last socket made on this thread since the previous call, or null; forgets it. */
    public static Socket take() {
        Socket socket = LAST.get();
        LAST.remove();
        return socket;
    }
}
