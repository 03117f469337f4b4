package io.github.outboundrelay.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Dovecot IMAP server (Debian's {@code dovecot-imapd}), private to a test: its own configuration, runtime
 * and Maildir under a temporary directory, an IMAPS and an IMAP+STARTTLS listener on free loopback ports, a
 * certificate made now for 127.0.0.1 and localhost, and any user name logging in with {@link #PASSWORD}.
 * Tests put reports into a user's Maildir with {@link #deliver}, as an MTA's local delivery would.
 *
 * <p>Depends on the JDK, JUnit and {@code SelfSignedCertificate} only, so that it can live wherever the test
 * servers of every module live.
 */
public final class DovecotServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/sbin/dovecot");
    public static final String PASSWORD = "imap-test-password";
    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    public final Path dir;
    public final SelfSignedCertificate certificate;
    public final int imapsPort;
    public final int starttlsPort;
    private final Process process;

    /** Why a test that needs Dovecot is skipped here; CI installs it (.ci/run), so there it runs. */
    public static final String NOT_INSTALLED = "Dovecot is not installed (/usr/sbin/dovecot): apt-get install dovecot-imapd, "
            + "as .ci/run does; the IMAP tests need the real server";

    /** Whether Dovecot is here: tests call {@code assumeTrue(DovecotServer.installed(), DovecotServer.NOT_INSTALLED)}. */
    public static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    public static DovecotServer start(Path dir) throws IOException, InterruptedException {
        return start(dir, SelfSignedCertificate.forLoopback());
    }

    /** With a certificate of the test's choosing (one for another name, to see hostname verification refuse it). */
    public static DovecotServer start(Path dir, SelfSignedCertificate certificate) throws IOException, InterruptedException {
        if (!installed()) {
            throw new IllegalStateException(NOT_INSTALLED);
        }
        return new DovecotServer(dir, certificate);
    }

    private DovecotServer(Path dir, SelfSignedCertificate certificate) throws IOException, InterruptedException {
        this.dir = dir;
        this.certificate = certificate;
        this.imapsPort = freePort();
        this.starttlsPort = freePort();
        // Dovecot runs mail processes as "nobody" when started by root: the Maildir must be theirs to write.
        open(Files.createDirectories(dir));
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("state"));
        open(Files.createDirectories(dir.resolve("mail")));
        open(Files.createDirectories(dir.resolve("home")));
        certificate.writePemFiles(dir); // Read by Dovecot's master, as root, before it drops privileges.
        boolean root = "root".equals(System.getProperty("user.name"));
        String userdb = root ? "uid=nobody gid=nogroup" : "uid=" + id("-u") + " gid=" + id("-g");
        String config = """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                listen = 127.0.0.1
                protocols = imap
                ssl = required
                ssl_cert = <%1$s/cert.pem
                ssl_key = <%1$s/key.pem
                ssl_min_protocol = TLSv1.2
                disable_plaintext_auth = yes
                auth_mechanisms = plain login
                # A refused login answers at once: the failure tests need not wait the default 2 s each.
                auth_failure_delay = 0
                first_valid_uid = 1
                mail_location = maildir:%1$s/mail/%%u
                passdb {
                  driver = static
                  args = password=%2$s
                }
                userdb {
                  driver = static
                  args = %3$s home=%1$s/home/%%u
                }
                service imap-login {
                  chroot =
                  inet_listener imap {
                    address = 127.0.0.1
                    port = %4$d
                  }
                  inet_listener imaps {
                    address = 127.0.0.1
                    port = %5$d
                    ssl = yes
                  }
                }
                service anvil {
                  chroot =
                }
                """.formatted(dir, PASSWORD, userdb, starttlsPort, imapsPort);
        Path conf = dir.resolve("dovecot.conf");
        Files.writeString(conf, config);
        process = new ProcessBuilder(BINARY.toString(), "-F", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("dovecot.out").toFile()).start();
        awaitListening(imapsPort);
        awaitListening(starttlsPort);
    }

    /** Puts one raw message into {@code user}'s folder (INBOX, or a Maildir++ folder such as {@code .Processed}). */
    public void deliver(String user, String folder, byte[] raw) throws IOException {
        Path maildir = dir.resolve("mail").resolve(user);
        if (!folder.equals("INBOX")) {
            maildir = maildir.resolve(folder.startsWith(".") ? folder : "." + folder);
        }
        for (String sub : List.of("", "new", "cur", "tmp")) {
            open(Files.createDirectories(maildir.resolve(sub)));
        }
        // Maildir names start with the delivery time; the sequence keeps two deliveries in one second apart.
        Path file = maildir.resolve("tmp").resolve(System.currentTimeMillis() / 1000 + ".M" + SEQUENCE.incrementAndGet()
                + "." + UUID.randomUUID() + ".test");
        Files.write(file, raw);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.move(file, maildir.resolve("new").resolve(file.getFileName()));
    }

    /** Creates an empty folder for {@code user}. */
    public void createFolder(String user, String folder) throws IOException {
        Path maildir = dir.resolve("mail").resolve(user).resolve("." + folder);
        for (String sub : List.of("", "new", "cur", "tmp")) {
            open(Files.createDirectories(maildir.resolve(sub)));
        }
        open(Files.createDirectories(dir.resolve("mail").resolve(user)));
    }

    /** Where each user's Maildir is: {@code <this>/<user>}, writable by the mail processes' user. */
    public Path mailDirectory() {
        return dir.resolve("mail");
    }

    /** A report fixture from {@code /bounces/} on the test class path. */
    public static byte[] fixture(String name) throws IOException {
        try (java.io.InputStream in = DovecotServer.class.getResourceAsStream("/bounces/" + name)) {
            if (in == null) {
                throw new IOException("no fixture /bounces/" + name + " on the class path");
            }
            return in.readAllBytes();
        }
    }

    public String log() throws IOException {
        Path log = dir.resolve("dovecot.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: the master stops its children.
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private void awaitListening(int port) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dovecot exited " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("dovecot.out")) + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50); // Polling a port: there is no event to wait on for another process's listen().
            }
        }
        close();
        throw new IllegalStateException("dovecot did not listen on " + port + " within 15 s: " + log());
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void open(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private static String id(String flag) throws IOException {
        try {
            Process p = new ProcessBuilder("id", flag).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            p.waitFor(5, TimeUnit.SECONDS);
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
