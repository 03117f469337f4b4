package io.github.outboundrelay.cli;

import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A real STARTTLS + AUTH relay on loopback for the CLI tests, with its certificate written as the PEM file an
 * administrator would pass to {@code --trust-pem}.
 */
final class TestRelay implements AutoCloseable {
    static final String USER = "jenkins@example.com";
    /** Distinctive, so a test can search every output for it. */
    static final String PASSWORD = "pw-Zq81-must-never-be-printed";
    static final String PASSWORD_VARIABLE = "RELAY_PASSWORD";
    static final Map<String, String> ENV = Map.of(PASSWORD_VARIABLE, PASSWORD, "WRONG_PASSWORD", "pw-wrong-Kx44-never-printed");

    final SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
    final EmbeddedRelay relay = EmbeddedRelay.start(certificate.serverContext(), USER, PASSWORD);
    final Path pemFile;

    TestRelay(Path directory) throws IOException {
        pemFile = Files.writeString(directory.resolve("relay-ca.pem"), certificate.pem());
    }

    /** The options reaching this relay, authenticated through {@code --password-env}. */
    List<String> options(String... more) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(relay.port()),
                "--tls", "starttls", "--user", USER, "--password-env", PASSWORD_VARIABLE,
                "--trust-pem", pemFile.toString(), "--connect-timeout", "5000", "--read-timeout", "5000",
                "--write-timeout", "5000"));
        args.addAll(List.of(more));
        return args;
    }

    static String[] args(String command, List<String> options) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(options);
        return all.toArray(String[]::new);
    }

    /** The {@code sha256/BASE64} pin of the relay's certificate, computed independently of the engine. */
    String pin() throws NoSuchAlgorithmException {
        byte[] spki = certificate.certificate().getPublicKey().getEncoded();
        return "sha256/" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
    }

    /** A loopback port nothing listens on: bound, then released. */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        relay.close();
    }
}
