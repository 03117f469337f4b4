package io.github.outboundrelay.testing;

import java.io.OutputStream;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
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
 *
 * SelfSignedCertificate ca = SelfSignedCertificate.authority("Test CA");     // or a chain: a CA and what it issued
 * SelfSignedCertificate relay = ca.issue(List.of("IP:127.0.0.1"));
 * SSLContext chained = relay.serverContext(ca.certificate());
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
        KeyPair keyPair = newKeyPair();
        X500Name name = subjectName(subjectAltNames.isEmpty() ? "relay"
                : subjectAltNames.get(0).substring(subjectAltNames.get(0).indexOf(':') + 1));
        return new SelfSignedCertificate(keyPair, sign(name, keyPair.getPublic(), subjectAltNames, false, name,
                keyPair, notBefore, notAfter));
    }

    /**
     * A certificate authority valid for a day, to issue relay certificates from: for chains a self-signed certificate
     * cannot make (a private CA, an intermediate, a rogue CA an attacker holds).
     */
    public static SelfSignedCertificate authority(String commonName) {
        KeyPair keyPair = newKeyPair();
        X500Name name = subjectName(commonName);
        return new SelfSignedCertificate(keyPair, sign(name, keyPair.getPublic(), List.of(), true, name, keyPair,
                Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1))));
    }

    /** A certificate for these names, valid for a day, signed by this one's key (make this one with {@link #authority}). */
    public SelfSignedCertificate issue(List<String> subjectAltNames) {
        String firstName = subjectAltNames.get(0).substring(subjectAltNames.get(0).indexOf(':') + 1);
        return issued(subjectName(firstName), subjectAltNames, false);
    }

    /** An intermediate CA below this one, valid for a day. */
    public SelfSignedCertificate issueAuthority(String commonName) {
        return issued(subjectName(commonName), List.of(), true);
    }

    private SelfSignedCertificate issued(X500Name subject, List<String> subjectAltNames, boolean authority) {
        KeyPair subjectKeys = newKeyPair();
        X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        return new SelfSignedCertificate(subjectKeys, sign(subject, subjectKeys.getPublic(), subjectAltNames, authority,
                issuer, keyPair, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(1))));
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not make a test key", e);
        }
    }

    private static X500Name subjectName(String commonName) {
        return new X500Name("CN=" + commonName + ",O=Outbound Relay test certificate");
    }

    private static X509Certificate sign(X500Name subject, PublicKey subjectKey, List<String> subjectAltNames, boolean authority,
                                        X500Name issuer, KeyPair issuerKeys, Instant notBefore, Instant notAfter) {
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    new BigInteger(64, new SecureRandom()), Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
            GeneralName[] names = subjectAltNames.stream().map(SelfSignedCertificate::generalName).toArray(GeneralName[]::new);
            if (names.length > 0) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            if (authority) {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
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
        return toPem(certificate);
    }

    /** One PEM block, written by Bouncy Castle (a certificate, or a PKCS#8 generator for the key). */
    private static String toPem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not write PEM", e);
        }
        return out.toString();
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

    /**
     * Writes {@code cert.pem} and {@code key.pem} (PKCS#8, owner-readable only) into {@code dir}: for servers that
     * read their key from files (stunnel in the side-by-side benchmark).
     */
    public void writePemFiles(Path dir) throws java.io.IOException {
        Files.writeString(dir.resolve("cert.pem"), pem());
        Path key = dir.resolve("key.pem");
        // Created owner-only before the key goes in: never readable by anyone else, not even for a moment.
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, toPem(new JcaPKCS8Generator(keyPair.getPrivate(), null)));
    }

    /** A client-side TLS context that trusts exactly this certificate (hostname verification stays the caller's). */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("relay", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("could not make a client TLS context", e);
        }
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

    /**
     * A server-side TLS context sending this certificate followed by exactly these ones, in this order, whether they
     * form a chain or not: its issuer, or the extra certificates an attacker appends.
     */
    public SSLContext serverContext(X509Certificate... followedBy) {
        X509Certificate[] chain = new X509Certificate[followedBy.length + 1];
        chain[0] = certificate;
        System.arraycopy(followedBy, 0, chain, 1, followedBy.length);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new FixedChain(keyPair.getPrivate(), chain)}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not make a server TLS context", e);
        }
    }

    /** Presents one key and a chain as given: the JDK's key stores insist on an ordered chain. */
    private static final class FixedChain extends X509ExtendedKeyManager {
        private static final String ALIAS = "relay";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        FixedChain(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
