// Stand-in. Mirrors jenkinsci/jenkins/core/src/main/java/jenkins/security/ConfidentialKey.java at tag jenkins-2.504.3; checked member by member against the real sources (profiles 2.504.3 and 2.568.2; docs/jenkins.md, "How this plugin was built and checked").
// The real load and store go through ConfidentialStore: DefaultConfidentialStore keeps each key in
// $JENKINS_HOME/secrets/<id>, encrypted with secrets/master.key. This one keeps the bytes as they are in the same
// file, so that tests see where the key lives; the plugin never depends on the difference.
package jenkins.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jenkins.model.Jenkins;

public abstract class ConfidentialKey {
    private final String id;

    protected ConfidentialKey(String id) {
        this.id = id;
    }

    protected byte[] load() throws IOException {
        try {
            return Files.readAllBytes(file());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    protected void store(byte[] payload) throws IOException {
        Files.createDirectories(file().getParent());
        Files.write(file(), payload);
    }

    public String getId() {
        return id;
    }

    private Path file() {
        return Jenkins.get().getRootDir().toPath().resolve("secrets").resolve(id);
    }
}
