package io.github.outboundrelay.common.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The relay's certificate check: the chain (and, through the socket's parameters, the host name) by the JVM's
 * trust manager, then the leaf's validity dates, then the pins. The JVM skips the dates of a certificate that is
 * itself a trust anchor, which is exactly how a self-signed relay certificate is trusted: it is checked here.
 * Pins are matched on the {@link VerifiedPath}, never on whatever else the server sent; every pin set must match.
 * A pin narrows trust; it never widens it.
 */
public final class RelayTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final List<List<String>> pinSets;
    private final VerifiedPath verifiedPath;
    private final Clock clock;

    RelayTrustManager(X509ExtendedTrustManager delegate, List<List<String>> pinSets, Clock clock) {
        this.delegate = delegate;
        this.pinSets = List.copyOf(pinSets);
        this.verifiedPath = pinSets.isEmpty() ? null : new VerifiedPath(delegate.getAcceptedIssuers());
        this.clock = clock;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
        checkLeafAndPins(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
        checkLeafAndPins(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
        checkLeafAndPins(chain);
    }

    private void checkLeafAndPins(X509Certificate[] chain) throws CertificateException {
        chain[0].checkValidity(Date.from(clock.instant()));
        if (pinSets.isEmpty()) {
            return;
        }
        List<String> pathPins = verifiedPath.of(chain).stream().map(CertificatePins::pinOf).toList();
        for (List<String> set : pinSets) {
            if (set.stream().noneMatch(pathPins::contains)) {
                throw new CertificatePinMismatchException("certificate pin mismatch: the relay presented "
                        + CertificatePins.pinOf(chain[0]) + ", expected one of " + set
                        + (pinSets.size() > 1 ? " (each of the " + pinSets.size() + " pin sets must match)" : ""));
            }
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only checks servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
