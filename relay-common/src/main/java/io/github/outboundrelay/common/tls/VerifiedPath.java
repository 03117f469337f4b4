package io.github.outboundrelay.common.tls;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * The certificate path from the server's leaf to a trust anchor, each link checked by signature, built from what the
 * server sent and the same anchors its chain was validated against. Pins are checked on this path only: a server may
 * send any certificate besides its chain (a pinned one it copied from the real relay, say), and the JDK's validator
 * ignores what it does not need, so "some certificate the server sent matches" proves nothing (OkHttp's
 * CVE-2016-2402; its {@code BasicCertificateChainCleaner} does the same walk).
 */
public final class VerifiedPath {
    /** Intermediates followed at most; real chains have one or two. */
    private static final int MAX_SIGNERS = 9;

    private final Map<X500Principal, List<X509Certificate>> anchorsBySubject = new HashMap<>();

    VerifiedPath(X509Certificate[] anchors) {
        for (X509Certificate anchor : anchors) {
            anchorsBySubject.computeIfAbsent(anchor.getSubjectX500Principal(), k -> new ArrayList<>()).add(anchor);
        }
    }

    /**
     * The path from {@code sent[0]} to a trust anchor, anchor included.
     *
     * @throws CertificatePinMismatchException when no path signed up to an anchor exists, which the JDK's validation,
     *                                         run first, rules out; refusing is the safe answer all the same
     */
    List<X509Certificate> of(X509Certificate[] sent) throws CertificatePinMismatchException {
        Deque<X509Certificate> unused = new ArrayDeque<>(List.of(sent));
        List<X509Certificate> path = new ArrayList<>();
        path.add(unused.removeFirst());
        if (isAnchor(path.get(0))) {
            return path; // Trusted as it is (a self-signed relay certificate in the trust bundle): nothing else counts.
        }
        boolean anchored = false;
        for (int signers = 0; signers < MAX_SIGNERS; signers++) {
            X509Certificate last = path.get(path.size() - 1);
            X509Certificate anchor = anchorThatSigned(last);
            if (anchor != null) {
                path.add(anchor);
                if (signedBy(anchor, anchor)) {
                    return path; // A root: nothing above it.
                }
                anchored = true; // An anchor that is itself an intermediate: its signer may follow.
                continue;
            }
            X509Certificate signer = sentSigner(last, unused);
            if (signer == null) {
                break;
            }
            path.add(signer);
        }
        if (anchored) {
            return path;
        }
        throw new CertificatePinMismatchException("no certificate path from the relay's certificate to a trusted one");
    }

    private boolean isAnchor(X509Certificate certificate) {
        return anchorsBySubject.getOrDefault(certificate.getSubjectX500Principal(), List.of()).stream()
                .anyMatch(anchor -> anchor.getPublicKey().equals(certificate.getPublicKey()));
    }

    private X509Certificate anchorThatSigned(X509Certificate certificate) {
        for (X509Certificate anchor : anchorsBySubject.getOrDefault(certificate.getIssuerX500Principal(), List.of())) {
            if (signedBy(certificate, anchor)) {
                return anchor;
            }
        }
        return null;
    }

    private static X509Certificate sentSigner(X509Certificate certificate, Deque<X509Certificate> unused) {
        for (Iterator<X509Certificate> i = unused.iterator(); i.hasNext(); ) {
            X509Certificate candidate = i.next();
            if (certificate.getIssuerX500Principal().equals(candidate.getSubjectX500Principal()) && signedBy(certificate, candidate)) {
                i.remove();
                return candidate;
            }
        }
        return null;
    }

    private static boolean signedBy(X509Certificate certificate, X509Certificate signer) {
        if (!certificate.getIssuerX500Principal().equals(signer.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(signer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
