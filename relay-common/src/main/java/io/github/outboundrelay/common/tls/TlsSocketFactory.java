package io.github.outboundrelay.common.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Hands Angus Mail TLS sockets that speak only TLS 1.2/1.3 and sit on a TCP_NODELAY socket. Angus layers TLS over
 * a plain socket it connected itself (implicit TLS and STARTTLS alike), so the layering call is where Nagle is
 * switched off: without it the TLS 1.3 handshake stalls ~40 ms on delayed ACKs (docs/architecture.md).
 */
public final class TlsSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    TlsSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
        plain.setTcpNoDelay(true);
        return restrict(delegate.createSocket(plain, host, port, autoClose));
    }

    @Override
    public Socket createSocket() throws IOException {
        Socket socket = delegate.createSocket();
        socket.setTcpNoDelay(true);
        return restrict(socket);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return restrict(noDelay(delegate.createSocket(host, port)));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return restrict(noDelay(delegate.createSocket(host, port, localHost, localPort)));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return restrict(noDelay(delegate.createSocket(host, port)));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return restrict(noDelay(delegate.createSocket(address, port, localAddress, localPort)));
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    private static Socket noDelay(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static Socket restrict(Socket socket) {
        if (socket instanceof SSLSocket ssl) {
            TlsPolicy.restrictProtocols(ssl);
        }
        return SocketRecorder.made(socket);
    }
}
