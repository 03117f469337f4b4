package io.github.outboundrelay.common.tls;

import java.security.cert.CertificateException;

/** The chain was trusted, but no certificate in it carries a pinned public key. */
public final class CertificatePinMismatchException extends CertificateException {
    CertificatePinMismatchException(String message) {
        super(message);
    }
}
