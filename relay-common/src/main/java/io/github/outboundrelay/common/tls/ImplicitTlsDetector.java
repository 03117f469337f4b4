package io.github.outboundrelay.common.tls;

import io.github.outboundrelay.common.FailureCategory;
import io.github.outboundrelay.common.SmtpStep;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.failure.FailureClassifier;

import io.github.outboundrelay.common.RelaySettings;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * Second opinion after a relay sent no greeting in STARTTLS or plaintext mode: does the port answer a TLS handshake?
 * Then it speaks implicit TLS and the mode is wrong, which a person fixes in a second; a bare "timeout" would send
 * them hunting for firewalls instead.
 */
public final class ImplicitTlsDetector {
    private static final int MAX_WAIT_MILLIS = 5000;

    private ImplicitTlsDetector() {
    }

    static boolean speaksImplicitTls(RelaySettings settings, TlsContext tls) {
        try (Socket plain = new Socket()) {
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(settings.host(), settings.port()), settings.timeouts().connectMillis());
            plain.setSoTimeout(Math.min(settings.timeouts().readMillis(), MAX_WAIT_MILLIS));
            SSLSocket ssl = (SSLSocket) tls.socketFactory().createSocket(plain, settings.host(), settings.port(), true);
            TlsPolicy.configure(ssl);
            ssl.startHandshake();
            return true;
        } catch (SSLException e) {
            // A certificate the client dislikes still proves the port speaks TLS.
            FailureCategory c = FailureClassifier.ofIo(SmtpStep.TLS, e, TlsMode.IMPLICIT_TLS, settings.port()).category();
            return c == FailureCategory.CERTIFICATE_UNTRUSTED || c == FailureCategory.HOSTNAME_MISMATCH
                    || c == FailureCategory.CERTIFICATE_PIN_MISMATCH;
        } catch (IOException e) {
            return false;
        }
    }

    /** Re-labels a greeting timeout as a TLS-mode mismatch when the port turns out to speak implicit TLS. */
    public static FailureClassifier.Failure recheck(FailureClassifier.Failure failure, RelaySettings settings, TlsContext tls) {
        if (failure.category() == FailureCategory.TIMEOUT && failure.step() == SmtpStep.GREETING
                && settings.tlsMode() != TlsMode.IMPLICIT_TLS && speaksImplicitTls(settings, tls)) {
            return new FailureClassifier.Failure(SmtpStep.GREETING, FailureCategory.TLS_MODE_MISMATCH, false, null,
                    "no greeting within the read timeout, and port " + settings.port()
                            + " answers a TLS handshake: it speaks implicit TLS, not " + settings.tlsMode());
        }
        return failure;
    }
}
