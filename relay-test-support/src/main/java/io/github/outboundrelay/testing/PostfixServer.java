package io.github.outboundrelay.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Postfix (Debian's {@code postfix}), private to a test: its own main.cf and master.cf, queue and log under
 * a temporary directory (never /etc/postfix), SMTP on a free loopback port without TLS or AUTH. It accepts any
 * recipient at {@value #BOUNCING_DOMAIN} and its local delivery then bounces unknown users with a real RFC 3464
 * report; {@value #MAILBOX_DOMAIN} addresses listed at start are Maildirs under the given directory, which Dovecot
 * serves. So a mail to {@code ghost@bounce.test} sent as {@code bounces@mailbox.test} ends as a DSN in the
 * {@code bounces} Maildir, as a relay's bounce ends in a real bounce mailbox.
 *
 * <p>Depends on the JDK and JUnit only, so that it can live wherever the test servers of every module live.
 */
public final class PostfixServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/sbin/postfix");
    public static final String BOUNCING_DOMAIN = "bounce.test";
    public static final String MAILBOX_DOMAIN = "mailbox.test";
    private static final Pattern DELIVERY = Pattern.compile("to=<([^>]+)>, .*status=(\\w+)");

    public final Path dir;
    public final int port;

    /** Why a test that needs Postfix is skipped here; CI installs it (.ci/run), so there it runs. */
    public static final String NOT_INSTALLED = "Postfix is not installed (/usr/sbin/postfix: apt-get install postfix, as "
            + ".ci/run does) or this build does not run as root (postfix start needs root; CI runs as root); the "
            + "end-to-end bounce test needs the real bounce generator";

    public static boolean installed() {
        return Files.isExecutable(BINARY) && "root".equals(System.getProperty("user.name"));
    }

    /**
     * @param mailboxes Maildir root: {@code <mailboxes>/<user>/} for each of {@code users} at mailbox.test
     */
    public static PostfixServer start(Path dir, Path mailboxes, List<String> users) throws IOException, InterruptedException {
        if (!installed()) {
            throw new IllegalStateException(NOT_INSTALLED);
        }
        return new PostfixServer(dir, mailboxes, users);
    }

    private PostfixServer(Path dir, Path mailboxes, List<String> users) throws IOException, InterruptedException {
        this.dir = dir;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        Files.createDirectories(dir.resolve("queue"));
        Files.createDirectories(dir.resolve("data"));
        run("chown", "postfix", dir.resolve("data").toString());
        StringBuilder maps = new StringBuilder();
        for (String user : users) {
            maps.append(user).append('@').append(MAILBOX_DOMAIN).append(' ').append(user).append("/\n");
        }
        Files.writeString(dir.resolve("vmailbox"), maps);
        Files.writeString(dir.resolve("main.cf"), """
                compatibility_level = 3.6
                queue_directory = %1$s/queue
                data_directory = %1$s/data
                maillog_file = %1$s/postfix.log
                maillog_file_prefixes = %1$s
                myhostname = localhost
                mydomain = localhost
                myorigin = localhost
                # Any user at the bouncing domain is taken by SMTP and bounced by local delivery: a real DSN.
                mydestination = %2$s
                local_recipient_maps =
                alias_maps =
                alias_database =
                inet_interfaces = 127.0.0.1
                inet_protocols = ipv4
                mynetworks = 127.0.0.0/8
                smtpd_relay_restrictions = permit_mynetworks, reject
                virtual_mailbox_domains = %3$s
                virtual_mailbox_base = %4$s
                virtual_mailbox_maps = texthash:%1$s/vmailbox
                # bounces+anything@ is delivered to bounces@: the VERP envelope senders' reports reach its Maildir.
                recipient_delimiter = +
                # Dovecot reads these Maildirs as nobody.
                virtual_uid_maps = static:65534
                virtual_gid_maps = static:65534
                smtputf8_enable = no
                biff = no
                """.formatted(dir, BOUNCING_DOMAIN, MAILBOX_DOMAIN, mailboxes));
        Files.writeString(dir.resolve("master.cf"), """
                127.0.0.1:%d inet n - n - - smtpd
                pickup    unix  n - n 60 1 pickup
                cleanup   unix  n - n - 0 cleanup
                qmgr      unix  n - n 300 1 qmgr
                rewrite   unix  - - n - - trivial-rewrite
                bounce    unix  - - n - 0 bounce
                defer     unix  - - n - 0 bounce
                trace     unix  - - n - 0 bounce
                verify    unix  - - n - 1 verify
                flush     unix  n - n 1000? 0 flush
                proxymap  unix  - - n - - proxymap
                smtp      unix  - - n - - smtp
                relay     unix  - - n - - smtp
                showq     unix  n - n - - showq
                error     unix  - - n - - error
                retry     unix  - - n - - error
                discard   unix  - - n - - discard
                local     unix  - n n - - local
                virtual   unix  - n n - - virtual
                anvil     unix  - - n - 1 anvil
                scache    unix  - - n - 1 scache
                postlog   unix-dgram n - n - 1 postlogd
                """.formatted(port));
        run(BINARY.toString(), "-c", dir.toString(), "start");
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("postfix did not listen on " + port + ": " + log());
                }
                Thread.sleep(50); // Another process's listen(): nothing to wait on but the port.
            }
        }
    }

    /** How many deliveries to {@code address} the log shows, by status (sent, bounced, deferred). */
    public long deliveries(String address, String status) throws IOException {
        Matcher m = DELIVERY.matcher(log());
        long n = 0;
        while (m.find()) {
            if (m.group(1).equals(address) && m.group(2).equals(status)) {
                n++;
            }
        }
        return n;
    }

    public String log() throws IOException {
        Path log = dir.resolve("postfix.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(BINARY.toString(), "-c", dir.toString(), "stop");
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
