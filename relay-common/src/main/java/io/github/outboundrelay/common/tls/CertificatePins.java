package io.github.outboundrelay.common.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** The {@code sha256/BASE64} pin of a certificate: a hash of its SubjectPublicKeyInfo, as OkHttp and HPKP define it. */
public final class CertificatePins {
    private CertificatePins() {
    }

    public static String pinOf(X509Certificate certificate) {
        try {
            byte[] spki = certificate.getPublicKey().getEncoded();
            return "sha256/" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
