package io.github.outboundrelay.bench.micro;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.mime.MimeRenderer;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.spool.MessageCodec;
import io.github.outboundrelay.common.spool.Spool;
import io.github.outboundrelay.common.spool.SpoolEntryCodec;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH microbenchmarks of the in-process parts of a send: rendering (relay-common's renderer beside jakarta.mail's
 * MIME objects writing the same mail, what relay-common did before), the spool's codec, a durable spool append, and
 * a claim from the spool's handoff beside one that reads the entry back.
 * Run with {@code bench/run micro}; figures in docs/performance.md. Short runs (1 fork, 2 x 1 s warm-up, 3 x 1 s
 * measured) on a shared 2-core machine: read them as ratios between rows of one run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class MicroBenchmarks {
    /** The process benchmark's mail: 2,048 bytes of ASCII text, one recipient. */
    static final String BODY;

    static {
        StringBuilder b = new StringBuilder("Build #42 of app/main failed.\n\n");
        while (b.length() < 2048) {
            b.append("Console output: https://ci.example.com/job/app/job/main/42/console\n");
        }
        b.setLength(2047);
        BODY = b.append('\n').toString();
    }

    @State(Scope.Benchmark)
    public static class Mails {
        final MailAddress from = MailAddress.of("ci@example.com", "Jenkins CI", "from");
        final OutboundMessage plain = OutboundMessage.builder().from(from).to("user@example.com")
                .subject("Build #42 failed").text(BODY).build();
        /** A Keycloak-like mail: UTF-8 subject and name, text and HTML alternatives. */
        final OutboundMessage alternative = OutboundMessage.builder().from(from).to("Jürgen Müller <j@example.com>")
                .subject("Passwort zurücksetzen für Ihr Konto")
                .text("Hallo Jürgen,\n\njemand möchte das Passwort zurücksetzen: https://id.example.com/reset?key=abc\n")
                .html("<p>Hallo Jürgen,</p><p><a href=\"https://id.example.com/reset?key=abc\">Passwort zurücksetzen</a></p>\n")
                .build();
        final Session session = Session.getInstance(new Properties());
        final Instant now = Instant.parse("2026-12-03T08:00:00Z");
        byte[] rendered;
        byte[] encodedBody;
        byte[] stored;

        @Setup
        public void setUp() {
            rendered = MimeRenderer.render(plain, settings(), now);
            encodedBody = SpoolEntryCodec.encodeBody(plain, rendered);
            stored = MessageCodec.encode(plain);
        }

        io.github.outboundrelay.common.RelaySettings settings() {
            return io.github.outboundrelay.common.RelaySettings.builder().host("127.0.0.1").port(25).from(from).build();
        }
    }

    @Benchmark
    public byte[] renderPlain(Mails m) {
        return MimeRenderer.render(m.plain, m.settings(), m.now);
    }

    @Benchmark
    public byte[] renderTextAndHtmlUtf8(Mails m) {
        return MimeRenderer.render(m.alternative, m.settings(), m.now);
    }

    /** What relay-common did before: jakarta.mail's MIME objects built, saved and written (to a null stream). */
    @Benchmark
    public void jakartaMailPlain(Mails m, Blackhole hole) throws Exception {
        MimeMessage mime = new MimeMessage(m.session);
        mime.setFrom(new InternetAddress("ci@example.com", "Jenkins CI", "UTF-8"));
        mime.setRecipients(Message.RecipientType.TO, InternetAddress.parse("user@example.com"));
        mime.setSubject(m.plain.subject(), "UTF-8");
        mime.setSentDate(Date.from(m.now));
        mime.setText(m.plain.text(), "UTF-8");
        mime.saveChanges();
        mime.writeTo(new Counting(hole));
    }

    @Benchmark
    public void jakartaMailTextAndHtmlUtf8(Mails m, Blackhole hole) throws Exception {
        MimeMessage mime = new MimeMessage(m.session);
        mime.setFrom(new InternetAddress("ci@example.com", "Jenkins CI", "UTF-8"));
        mime.setRecipients(Message.RecipientType.TO, new InternetAddress[] {new InternetAddress("j@example.com", "Jürgen Müller", "UTF-8")});
        mime.setSubject(m.alternative.subject(), "UTF-8");
        mime.setSentDate(Date.from(m.now));
        MimeBodyPart text = new MimeBodyPart();
        text.setText(m.alternative.text(), "UTF-8");
        MimeBodyPart html = new MimeBodyPart();
        html.setText(m.alternative.html(), "UTF-8", "html");
        MimeMultipart alternative = new MimeMultipart("alternative");
        alternative.addBodyPart(text);
        alternative.addBodyPart(html);
        mime.setContent(alternative);
        mime.saveChanges();
        mime.writeTo(new Counting(hole));
    }

    /** The DATA of a rendered mail as Angus writes it: SMTPOutputStream (dots) over CRLFOutputStream, a write per line. */
    @Benchmark
    public void dataAngus(Mails m, Blackhole hole) throws IOException {
        Counting sink = new Counting(hole);
        org.eclipse.angus.mail.smtp.SMTPOutputStream out = new org.eclipse.angus.mail.smtp.SMTPOutputStream(
                new java.io.BufferedOutputStream(sink));
        out.write(m.rendered, 0, m.rendered.length);
        out.ensureAtBOL();
    }

    /** The same with relay-common's DataWriter: one pass, one bulk write. */
    @Benchmark
    public void dataRelayCommon(Mails m, Blackhole hole) throws IOException {
        Counting sink = new Counting(hole);
        io.github.outboundrelay.common.transport.DataWriter out = new io.github.outboundrelay.common.transport.DataWriter(
                (bytes, length) -> sink.write(bytes, 0, length));
        out.write(m.rendered, 0, m.rendered.length);
        out.finish();
    }

    /** A socket's stream as far as the writers see it (it takes arrays), into JMH's blackhole. */
    private static final class Counting extends OutputStream {
        private final Blackhole hole;

        Counting(Blackhole hole) {
            this.hole = hole;
        }

        @Override
        public void write(int b) {
            hole.consume(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            hole.consume(b);
            hole.consume(len);
        }
    }

    /** The spool body of a queued mail: the message and its rendered bytes. */
    @Benchmark
    public byte[] codecEncodeBody(Mails m) {
        return SpoolEntryCodec.encodeBody(m.plain, m.rendered);
    }

    /** A whole entry (header, meta, body, three CRC32Cs) around an encoded body. */
    @Benchmark
    public byte[] codecEncodeEntry(Mails m) {
        return SpoolEntryCodec.encode(new SpoolEntryCodec.Meta("0190f3c2a1b4-3f9a2c1d000001", 1, 1, 1, 0, "", null), m.encodedBody);
    }

    @Benchmark
    public OutboundMessage codecDecode(Mails m) {
        return MessageCodec.decode(m.stored);
    }

    /**
     * A durable append of a rendered mail, then its done mark, which retires its batch file: the next store starts
     * a new one (a spare: write, fsync, rename, directory fsync). One thread.
     */
    @State(Scope.Benchmark)
    public static class OpenSpool {
        Path dir;
        FileSpool spool;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("relay-micro-spool");
            spool = FileSpool.open(dir);
            spool.recover(Spool.QuarantineListener.NONE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            spool.close();
            deleteTree(dir);
        }

        static void deleteTree(Path dir) throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    @Benchmark
    public void spoolAppendDurable(Mails m, OpenSpool s) {
        String id = s.spool.store(m.plain, m.rendered, m.now);
        s.spool.complete(id);
    }

    /**
     * A durable store while nothing is delivered (a relay down, a backlog): appended to the open batch file and
     * fsynced, a new file only every 1 MiB. The spool grows by the mails stored (a few MiB per second).
     */
    @Benchmark
    public String spoolAppendDurableUndelivered(Mails m, OpenSpool s) {
        return s.spool.store(m.plain, m.rendered, m.now);
    }

    /**
     * {@value #STORED} mails this spool stored, claimed in one call: from the handoff of just-stored mail, or read back
     * from disk (unsealed bodies here), as after a restart, when every entry is read. The difference is what the
     * handoff saves each queued mail's dispatch. The stores are the setup, not measured.
     */
    @State(Scope.Thread)
    public static class StoredMails {
        static final int STORED = 256;
        @Param({"handoff", "readBack"})
        String claimedFrom;
        Path dir;
        FileSpool spool;

        @Setup(Level.Invocation)
        public void store(Mails m) throws IOException {
            dir = Files.createTempDirectory("relay-micro-claim");
            spool = FileSpool.open(dir);
            spool.recover(Spool.QuarantineListener.NONE);
            for (int i = 0; i < STORED; i++) {
                spool.store(m.plain, m.rendered, m.now);
            }
            if (claimedFrom.equals("readBack")) {
                spool.close();
                spool = FileSpool.open(dir);
                spool.recover(Spool.QuarantineListener.NONE);
            }
        }

        @TearDown(Level.Invocation)
        public void delete() throws IOException {
            spool.close();
            OpenSpool.deleteTree(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(StoredMails.STORED)
    public int spoolClaimStored(Mails m, StoredMails s) {
        return s.spool.claimDue(m.now, StoredMails.STORED).size();
    }
}
