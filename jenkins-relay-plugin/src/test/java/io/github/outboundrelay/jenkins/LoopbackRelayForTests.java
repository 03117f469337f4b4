package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;

/** A real SMTP relay on a free loopback port (STARTTLS and AUTH required) and the PEM that trusts it. */
final class LoopbackRelayForTests implements AutoCloseable {
    static final String USER = "jenkins-relay";
    static final String PASSWORD = "correct-horse-battery";

    final SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
    final EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), USER, PASSWORD);

    String port() {
        return Integer.toString(relay.port());
    }

    /** The page's shared fields, as a browser would post them. */
    RelayForm.Shared shared() {
        return new RelayForm.Shared("ci@example.com", "Jenkins", "", "5", "5", certificate.pem(), "", true);
    }

    @Override
    public void close() {
        relay.close();
    }
}
