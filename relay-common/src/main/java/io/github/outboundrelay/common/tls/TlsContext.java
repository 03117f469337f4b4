package io.github.outboundrelay.common.tls;

import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.TrustSettings;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The trust half of TLS, built once per settings: which CAs are trusted and the optional pin. Every TLS socket of
 * the product, Angus's and the probe's, comes from here; the rules those sockets follow are {@link TlsPolicy}'s.
 */
public final class TlsContext {
    private final SSLContext sslContext;
    private final TlsSocketFactory socketFactory;

    private TlsContext(SSLContext sslContext) {
        this.sslContext = sslContext;
        this.socketFactory = new TlsSocketFactory(sslContext.getSocketFactory());
    }

    public static TlsContext create(TrustSettings trust) {
        try {
            X509ExtendedTrustManager trustManager = new RelayTrustManager(trustManager(trust), trust.pinSets(), Clock.systemUTC());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager}, null);
            return new TlsContext(context);
        } catch (GeneralSecurityException | IOException e) {
            String field = trust.source() == TrustSettings.Source.PKCS12 ? "trustPkcs12" : "trustPem";
            throw new InvalidInputException(field, "cannot be loaded (" + e.getMessage() + ")",
                    "Give a readable PEM certificate bundle or PKCS12 trust store with its password");
        }
    }

    public TlsSocketFactory socketFactory() {
        return socketFactory;
    }

    private static X509ExtendedTrustManager trustManager(TrustSettings trust) throws GeneralSecurityException, IOException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        switch (trust.source()) {
            case JVM_DEFAULT -> factory.init((KeyStore) null);
            case PEM -> factory.init(keyStoreOf(trust.pemText()));
            case PKCS12 -> {
                KeyStore store = KeyStore.getInstance("PKCS12");
                char[] password = trust.pkcs12Password() == null ? null : trust.pkcs12Password().reveal().toCharArray();
                try (InputStream in = Files.newInputStream(trust.pkcs12File())) {
                    store.load(in, password);
                }
                factory.init(store);
            }
        }
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager in this JVM");
    }

    private static KeyStore keyStoreOf(String pem) throws GeneralSecurityException, IOException {
        Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        if (certificates.isEmpty()) {
            throw new GeneralSecurityException("no certificate in the PEM text");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates) {
            store.setCertificateEntry("ca-" + i++, certificate);
        }
        return store;
    }

    SSLContext sslContext() {
        return sslContext;
    }
}
