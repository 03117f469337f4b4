package io.github.outboundrelay.common.bounce;

import java.io.IOException;
import java.nio.file.Path;

/** A running {@link DovecotServer} for tests outside this package (the command line's). */
public final class DovecotFixture implements AutoCloseable {
    private final DovecotServer server;

    private DovecotFixture(DovecotServer server) {
        this.server = server;
    }

    /** Skips the calling test when Dovecot is not installed here. */
    public static DovecotFixture start(Path dir) throws IOException, InterruptedException {
        return new DovecotFixture(DovecotServer.start(dir));
    }

    public int imapsPort() {
        return server.imapsPort;
    }

    public int starttlsPort() {
        return server.starttlsPort;
    }

    public String password() {
        return DovecotServer.PASSWORD;
    }

    /** Where each user's Maildir is: {@code <this>/<user>}. Writable by the mail processes' user (nobody). */
    public Path mailDirectory() {
        return server.dir.resolve("mail");
    }

    public String certificatePem() {
        return server.certificate.pem();
    }

    public void deliverFixture(String user, String fixture) throws IOException {
        server.deliver(user, "INBOX", BounceReportParserTest.fixture(fixture));
    }

    public void deliver(String user, byte[] raw) throws IOException {
        server.deliver(user, "INBOX", raw);
    }

    @Override
    public void close() throws InterruptedException {
        server.close();
    }
}
