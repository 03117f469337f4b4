package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.BodyKeys;
import io.github.outboundrelay.common.spool.SpoolException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import jenkins.model.Jenkins;
import jenkins.security.ConfidentialKey;

/**
 * The AES-256 key that seals the bodies of spooled mail, kept by Jenkins beside its other secrets: in
 * {@code $JENKINS_HOME/secrets/io.github.outboundrelay.jenkins.SpoolKey}, encrypted with {@code secrets/master.key}
 * (Jenkins's {@code ConfidentialStore}). Created on first use. Someone who copies the spool without the secrets
 * directory reads no mail; someone with both does (see docs/reliability.md, "Mail at rest").
 *
 * <p>Jenkins does not rotate confidential keys; the key's id is a digest of it, so a spool moved to a Jenkins with
 * other secrets says which key its mail needs instead of failing in silence.
 */
final class SpoolKey extends ConfidentialKey implements BodyKeys {
    private Key key; // guarded by this

    SpoolKey() {
        super(SpoolKey.class.getName());
    }

    @Override
    public synchronized Optional<Key> current() {
        if (key == null) {
            key = loadOrCreate();
        }
        return Optional.of(key);
    }

    @Override
    public Optional<Key> find(String id) {
        return current().filter(k -> k.id().equals(id));
    }

    private Key loadOrCreate() {
        try {
            byte[] material = load();
            if (material == null || material.length != 32) {
                // First use, or a store Jenkins could not decrypt (another master.key): bodies sealed before are
                // then unreadable, and quarantined naming the key they need.
                material = new byte[32];
                new SecureRandom().nextBytes(material);
                store(material);
            }
            return new Key("jenkins-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(material), 0, 6),
                    new SecretKeySpec(material, "AES"));
        } catch (IOException e) {
            Path secrets = Jenkins.get().getRootDir().toPath().resolve("secrets");
            throw new SpoolException(secrets.resolve(getId()).toString(), "cannot read or create the key that encrypts "
                    + "queued mail (" + e + ")", "The mail was not queued. Give the user running Jenkins write access to "
                    + secrets, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
