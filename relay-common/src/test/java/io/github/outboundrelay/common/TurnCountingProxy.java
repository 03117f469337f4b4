package io.github.outboundrelay.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of an SMTP server that counts round trips: a client's turn is bytes from the client
 * after the server spoke (the greeting first), so commands pipelined in one group, or a message and the commands
 * behind it, are one turn however the bytes are cut, and a client that waits for each reply makes one per command.
 * It can hold what the server says ({@link #pause}), so that a test stops a client in the middle of its
 * conversation, and it can listen on a port chosen before (a relay that comes back where it was).
 */
final class TurnCountingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final AtomicInteger turns = new AtomicInteger();
    private final java.util.List<String> turnStarts = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private boolean paused;                            // guarded by gate
    private volatile CountDownLatch held = new CountDownLatch(1);

    TurnCountingProxy(int listenPort, int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort), 16);
        Thread acceptor = new Thread(this::accept, "turn-counting-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Client turns so far, over every connection. */
    int clientTurns() {
        return turns.get();
    }

    /** The first bytes of each client turn, for a failure message (test addresses only). */
    java.util.List<String> turnStarts() {
        return java.util.List.copyOf(turnStarts);
    }

    int connections() {
        return connections.get();
    }

    /** Holds what the server says from now on, until {@link #resume}. */
    void pause() {
        synchronized (gate) {
            paused = true;
            held = new CountDownLatch(1);
        }
    }

    /** Waits until a server reply is being held. */
    boolean awaitHeld(long seconds) throws InterruptedException {
        return held.await(seconds, TimeUnit.SECONDS);
    }

    void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                open.add(client);
                open.add(upstream);
                connections.incrementAndGet();
                AtomicInteger serverSpokeLast = new AtomicInteger(1); // 1: the server spoke last (its greeting comes first)
                pump(client, upstream, true, serverSpokeLast);
                pump(upstream, client, false, serverSpokeLast);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient, AtomicInteger serverSpokeLast) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (from; to) {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (fromClient) {
                        if (serverSpokeLast.getAndSet(0) == 1) {
                            turns.incrementAndGet();
                            turnStarts.add(new String(buffer, 0, Math.min(n, 24), java.nio.charset.StandardCharsets.ISO_8859_1));
                        }
                    } else {
                        waitWhilePaused();
                        serverSpokeLast.set(1); // before the client can see it: its answer is a new turn
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // One side went away: closing both ends the other pump.
            }
        }, "turn-counting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void waitWhilePaused() throws InterruptedException {
        synchronized (gate) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // bounded: a test that forgets still ends
            while (paused && System.nanoTime() < deadline) {
                held.countDown();
                gate.wait(1_000);
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
