package io.github.outboundrelay.common;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which certificates the relay may present. Hostname verification is always on; a pin is checked in addition to,
 * never instead of, the chain, and only against the verified path from the relay's certificate to a trusted one.
 *
 * <pre>{@code
 * TrustSettings.jvmDefault();                                   // the JVM's CA certificates
 * TrustSettings.pem(Files.readString(caFile));                  // a private CA, pasted or read from a file
 * TrustSettings.jvmDefault().withPins(List.of("sha256/AbC...="));  // and one of these keys must be in the path
 * TrustSettings.jvmDefault().withPins(serverPins).andPins(realmPins); // one of each set: narrower, never wider
 * }</pre>
 *
 * @param source          where the trusted CA certificates come from
 * @param pemText         the PEM text when {@code source} is {@link Source#PEM}
 * @param pkcs12File      the keystore when {@code source} is {@link Source#PKCS12}
 * @param pkcs12Password  its password, or null
 * @param pinSets         sets of {@code sha256/BASE64} hashes of a SubjectPublicKeyInfo; the verified path must hold
 *                        a key of every set; empty for no pin
 */
public record TrustSettings(Source source, String pemText, Path pkcs12File, Secret pkcs12Password, List<List<String>> pinSets) {

    public enum Source { JVM_DEFAULT, PEM, PKCS12 }

    private static final Pattern PIN = Pattern.compile("sha256/[A-Za-z0-9+/]{43}=");

    public TrustSettings {
        Objects.requireNonNull(source, "source");
        pinSets = pinSets == null ? List.of()
                : pinSets.stream().map(List::copyOf).filter(set -> !set.isEmpty()).toList();
        for (List<String> set : pinSets) {
            for (String pin : set) {
                if (!PIN.matcher(pin).matches()) {
                    throw new InvalidInputException("certificatePin", "'" + pin + "' is not a sha256/BASE64 pin",
                            "Give the SHA-256 of the certificate's public key, base64-encoded, as sha256/ followed by 44 characters "
                                    + "(the probe report prints it for the relay's certificate)");
                }
            }
        }
        if (source == Source.PEM && (pemText == null || !pemText.contains("-----BEGIN CERTIFICATE-----"))) {
            throw new InvalidInputException("trustPem", "holds no PEM certificate",
                    "Paste the CA certificate(s) including the -----BEGIN CERTIFICATE----- lines");
        }
        if (source == Source.PKCS12 && pkcs12File == null) {
            throw new InvalidInputException("trustPkcs12", "has no file", "Give the path of the PKCS12 trust store");
        }
    }

    public static TrustSettings jvmDefault() {
        return new TrustSettings(Source.JVM_DEFAULT, null, null, null, List.of());
    }

    public static TrustSettings pem(String pemText) {
        return new TrustSettings(Source.PEM, pemText, null, null, List.of());
    }

    public static TrustSettings pkcs12(Path file, Secret password) {
        return new TrustSettings(Source.PKCS12, null, file, password, List.of());
    }

    /** These settings with one pin set instead of any before: the verified path must hold one of these keys. */
    public TrustSettings withPins(List<String> pins) {
        return new TrustSettings(source, pemText, pkcs12File, pkcs12Password, List.of(pins));
    }

    /**
     * These settings with a further pin set: the verified path must also hold one of these keys. Adding a set only
     * ever narrows what is trusted; an empty list adds nothing.
     */
    public TrustSettings andPins(List<String> pins) {
        List<List<String>> sets = new ArrayList<>(pinSets);
        sets.add(pins);
        return new TrustSettings(source, pemText, pkcs12File, pkcs12Password, sets);
    }

    /** Every pin of every set, for display. */
    public List<String> pins() {
        return pinSets.stream().flatMap(List::stream).distinct().toList();
    }

    @Override
    public String toString() {
        return "TrustSettings[source=" + source + (pkcs12File == null ? "" : ", file=" + pkcs12File) + ", pins=" + pinSets + "]";
    }
}
