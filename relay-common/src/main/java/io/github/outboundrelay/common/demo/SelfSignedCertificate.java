package io.github.outboundrelay.common.demo;

import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate for a relay on loopback: the demo's and the tests'. Made at run time so no private key is
 * ever committed.
 *
 * <pre>{@code
 * SelfSignedCertificate cert = SelfSignedCertificate.forLoopback();
 * SSLContext serverSide = cert.serverContext();
 * TrustSettings clientTrust = TrustSettings.pem(cert.pem());
 * }</pre>
 */
public final class SelfSignedCertificate {
    private final KeyPair keyPair;
    private final X509Certificate certificate;

    private SelfSignedCertificate(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** Valid for {@code IP:127.0.0.1} and {@code DNS:localhost}, for a day. */
    public static SelfSignedCertificate forLoopback() {
        return create(List.of("IP:127.0.0.1", "DNS:localhost"), Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(1)));
    }

    /**
     * @param subjectAltNames entries such as {@code DNS:localhost} or {@code IP:127.0.0.1}
     * @param notBefore       start of validity
     * @param notAfter        end of validity; in the past for an expired certificate
     */
    public static SelfSignedCertificate create(List<String> subjectAltNames, Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keyPair = generator.generateKeyPair();
            String firstName = subjectAltNames.isEmpty() ? "relay" : subjectAltNames.get(0).substring(subjectAltNames.get(0).indexOf(':') + 1);
            X500Name name = new X500Name("CN=" + firstName + ",O=Outbound Relay test certificate");
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(64, new SecureRandom()), Date.from(notBefore), Date.from(notAfter), name, keyPair.getPublic());
            GeneralName[] names = subjectAltNames.stream().map(SelfSignedCertificate::generalName).toArray(GeneralName[]::new);
            if (names.length > 0) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
            return new SelfSignedCertificate(keyPair, certificate);
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("could not make a test certificate", e);
        }
    }

    private static GeneralName generalName(String entry) {
        int colon = entry.indexOf(':');
        String kind = entry.substring(0, colon);
        String value = entry.substring(colon + 1);
        return new GeneralName(kind.equals("IP") ? GeneralName.iPAddress : GeneralName.dNSName, value);
    }

    /** The certificate as PEM, to paste into a trust setting. */
    public String pem() {
        try {
            StringWriter out = new StringWriter();
            out.write("-----BEGIN CERTIFICATE-----\n");
            out.write(Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(certificate.getEncoded()));
            out.write("\n-----END CERTIFICATE-----\n");
            return out.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Key and certificate as a PKCS12 store, for servers configured by file (GreenMail's SMTPS). */
    public void writePkcs12(Path file, String password) {
        try (OutputStream out = Files.newOutputStream(file)) {
            keyStore(password.toCharArray()).store(out, password.toCharArray());
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("could not write " + file, e);
        }
    }

    private KeyStore keyStore(char[] password) throws GeneralSecurityException, java.io.IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("relay", keyPair.getPrivate(), password, new X509Certificate[] {certificate});
        return store;
    }

    /** A server-side TLS context presenting this certificate. */
    public SSLContext serverContext() {
        try {
            char[] password = "ephemeral".toCharArray();
            KeyStore store = keyStore(password);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("could not make a server TLS context", e);
        }
    }
}
