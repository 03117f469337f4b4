package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.BodyCipher;
import io.github.outboundrelay.common.BodyKeys;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.spool.FileSpool;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.MailQueue;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.QueueMetrics;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Throttle;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import io.github.outboundrelay.testing.EmbeddedRelay;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Durable submit and end-to-end delivery, measured side by side in one run against one embedded STARTTLS + AUTH
 * relay on loopback: plain {@code Transport.send} per message (a connection each, what Jenkins Mailer and Keycloak do),
 * the pooled {@link RelayClient} without a spool, {@link MailQueue#submit} alone (fsync per mail, group-committed
 * directory fsync), and the queue end to end (submit, spool, deliver, delete). Prints figures and ratios.
 *
 * <p>Not a test and not in {@code mvn verify}: run {@code bench/run [--messages N] [--submitters T] [--connections C]}.
 */
public final class QueueBenchmark {
    private static final String BODY = "Build #42 of app/main failed.\n\n" + "Console output: https://ci.example.com/job/app/job/main/42/console\n".repeat(14);

    private final int messages;
    private final int submitters;
    private final int connections;
    private final int transportMessages;
    private final SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
    private final EmbeddedRelay relay;
    private final RelaySettings settings;
    private final AtomicInteger sequence = new AtomicInteger();
    private final Path endToEndSpool;
    /** {@code --sealed true}: bodies encrypted in the spool, as Jenkins and Keycloak store them. */
    private final BodyCipher cipher;

    private QueueBenchmark(int messages, int submitters, int connections, int transportMessages, BodyCipher cipher) {
        this.messages = messages;
        this.submitters = submitters;
        this.connections = connections;
        this.transportMessages = transportMessages;
        this.cipher = cipher;
        this.relay = EmbeddedRelay.start(certificate.serverContext(), "bench", "bench-pw");
        try {
            this.endToEndSpool = Files.createTempDirectory("relay-bench-spool");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.settings = RelaySettings.builder()
                .host("127.0.0.1").port(relay.port()).tlsMode(TlsMode.STARTTLS)
                .authentication(Authentication.password("bench", Secret.of("bench-pw")))
                .trust(TrustSettings.pem(certificate.pem()))
                .from(MailAddress.of("ci@example.com", "CI", "from"))
                .timeouts(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30)))
                .maxConnections(connections)
                .build();
    }

    public static void main(String[] args) throws Exception {
        int messages = intArg(args, "--messages", 20_000);
        int submitters = intArg(args, "--submitters", 16);
        int connections = intArg(args, "--connections", 4);
        int transportMessages = intArg(args, "--transport-messages", 400);
        // Every delivery is an INFO event on System.Logger; a console line per mail would measure the console.
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.SEVERE);

        QueueBenchmark bench = new QueueBenchmark(messages, submitters, connections, transportMessages,
                Boolean.parseBoolean(stringArg(args, "--sealed", "false")) ? benchCipher() : BodyCipher.NONE);
        String phase = stringArg(args, "--phase", "all");
        try {
            switch (phase) {
                // One phase on its own, repeated, to profile it (perf record -p PID).
                case "pool" -> repeat(() -> System.out.printf("pool %.0f msg/s%n", bench.pooledSend(messages)));
                case "e2e" -> repeat(() -> System.out.printf("end to end %.0f msg/s%n", bench.endToEnd(messages, submitters).throughput));
                case "drain" -> repeat(() -> System.out.printf("drain %.0f msg/s%n", bench.drain(messages, submitters)));
                case "submit" -> repeat(() -> System.out.printf("submit %.0f msg/s%n", bench.durableSubmit(messages, submitters).throughput));
                default -> bench.run();
            }
        } finally {
            bench.relay.close();
            delete(bench.endToEndSpool);
        }
    }

    private void run() throws Exception {
        System.out.printf("Outbound Relay queue benchmark, %s%n", LocalDate.now());
        System.out.printf("java %s (%s), %d cores, %s %s; %d messages of %d bytes body, %d submitter threads, %d connections%n%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.version"), messages, BODY.length(), submitters, connections);

        System.out.println("warming up (the JIT compiles TLS, Angus and the embedded relay for a while) ...");
        for (int i = 0; i < 2; i++) {
            pooledSend(Math.min(10_000, messages));
            endToEnd(Math.min(10_000, messages), submitters);
            durableSubmit(Math.min(5_000, messages), submitters);
        }

        double transport = transportSendPerMessage(transportMessages);
        Submit single = durableSubmit(Math.min(2000, messages), 1);
        // Pool and queue alternate, five rounds, so that load from elsewhere on the machine hits both alike.
        List<Double> pools = new ArrayList<>();
        List<EndToEnd> queues = new ArrayList<>();
        List<Submit> submits = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            pools.add(pooledSend(messages));
            queues.add(endToEnd(messages, submitters));
            submits.add(durableSubmit(messages, submitters));
            System.out.printf("  round %d: pool %.0f msg/s, end to end %.0f msg/s, ratio %.2f; durable submit %.0f msg/s%n",
                    round, pools.get(round - 1), queues.get(round - 1).throughput,
                    queues.get(round - 1).throughput / pools.get(round - 1), submits.get(round - 1).throughput);
        }
        double pool = median(pools);
        EndToEnd e2e = queues.stream().sorted(Comparator.comparingDouble(EndToEnd::throughput)).toList().get(ROUNDS / 2);
        Submit concurrent = submits.stream().sorted(Comparator.comparingDouble(Submit::throughput)).toList().get(ROUNDS / 2);

        System.out.println();
        System.out.printf("%-62s %10s%n", "median of " + ROUNDS + " rounds where repeated", "msg/s");
        System.out.printf("%-62s %10.0f%n", "Transport.send per message (" + connections + " threads, " + transportMessages + " msgs)", transport);
        System.out.printf("%-62s %10.0f%n", "RelayClient pool, no spool (" + connections + " threads)", pool);
        System.out.printf("%-62s %10.0f   p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", "MailQueue.submit, durable, 1 thread",
                single.throughput, single.p50, single.p99, single.max);
        System.out.printf("%-62s %10.0f   p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", "MailQueue.submit, durable, " + submitters + " threads",
                concurrent.throughput, concurrent.p50, concurrent.p99, concurrent.max);
        System.out.printf("%-62s %10.0f   submit p50 %.2f ms  p99 %.2f ms%n", "MailQueue end to end: submit -> spool -> relay -> delete",
                e2e.throughput, e2e.submit.p50, e2e.submit.p99);
        System.out.println();
        System.out.printf("durable submit (%d threads) / 2,000 msg/s target: %.2f%n", submitters, concurrent.throughput / 2000);
        System.out.printf("end to end / pool without spool: %.2f (target >= 0.80; per round: %s)%n", e2e.throughput / pool,
                String.join(", ", java.util.stream.IntStream.range(0, ROUNDS)
                        .mapToObj(i -> String.format("%.2f", queues.get(i).throughput / pools.get(i))).toList()));
        System.out.printf("pool without spool / Transport.send per message: %.1fx%n", pool / transport);
        System.out.printf("end to end / Transport.send per message: %.1fx%n", e2e.throughput / transport);
    }

    private static final int ROUNDS = 5;

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private OutboundMessage message() {
        int n = sequence.incrementAndGet();
        return OutboundMessage.builder().to("user" + n + "@example.com").subject("Build #" + n + " failed").text(BODY).build();
    }

    /** Plain jakarta.mail: a session with the same TLS policy, and Transport.send opening a connection per message. */
    private double transportSendPerMessage(int count) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("relay", certificate.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(relay.port()));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.socketFactory", tls.getSocketFactory());
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "30000");
        Session session = Session.getInstance(p);
        int before = relay.received().size();
        long cpu = cpu();
        long start = System.nanoTime();
        runConcurrently(connections, count, i -> {
            OutboundMessage m = message();
            MimeMessage mime = new MimeMessage(session);
            mime.setFrom(new InternetAddress("ci@example.com"));
            mime.setRecipient(Message.RecipientType.TO, new InternetAddress(m.to().get(0).address()));
            mime.setSubject(m.subject());
            mime.setText(m.text(), "UTF-8");
            Transport.send(mime, "bench", "bench-pw");
        });
        relay.awaitMessages(before + count, Duration.ofMinutes(5));
        double throughput = count / seconds(start);
        reportCpu("Transport.send per message", cpu, count);
        return throughput;
    }

    /** The engine's pooled client, called synchronously from as many threads as it has connections. */
    private double pooledSend(int count) throws Exception {
        int before = relay.received().size();
        try (RelayClient client = RelayClient.create(settings, new DeliveryLog(100))) {
            List<OutboundMessage> prepared = prepare(count);
            long cpu = cpu();
            long start = System.nanoTime();
            runConcurrently(connections, count, i -> client.send(prepared.get(i)));
            relay.awaitMessages(before + count, Duration.ofMinutes(5));
            double throughput = count / seconds(start);
            reportCpu("pool without spool", cpu, count);
            return throughput;
        }
    }

    record Submit(double throughput, double p50, double p99, double max) {
    }

    /** submit alone: the relay is throttled to one mail an hour, so nothing competes with the spool writes. */
    private Submit durableSubmit(int count, int threads) throws Exception {
        Path spool = Files.createTempDirectory("relay-bench-spool");
        try {
            long[] latencies = new long[count];
            long start;
            try (FileSpool files = FileSpool.open(spool, cipher);
                 MailQueue queue = MailQueue.builder().relay(settings, Throttle.perHour(1)).spool(files)
                    .deliveryLog(new DeliveryLog(100)).shutdownTimeout(Duration.ofSeconds(5)).build()) {
                List<OutboundMessage> prepared = prepare(count);
                long cpu = cpu();
                start = System.nanoTime();
                runConcurrently(threads, count, i -> {
                    long t0 = System.nanoTime();
                    queue.submit(prepared.get(i));
                    latencies[i] = System.nanoTime() - t0;
                });
                reportCpu("durable submit, " + threads + " thread(s)", cpu, count);
                System.out.printf("  %-40s %6.1f mails per batch file (per fsync)%n", "", files.statistics().mailsPerBatch());
            }
            return new Submit(count / seconds(start), percentile(latencies, 0.50), percentile(latencies, 0.99),
                    percentile(latencies, 1.0));
        } finally {
            delete(spool);
        }
    }

    record EndToEnd(double throughput, Submit submit) {
    }

    /**
     * submit from {@code threads} threads while the queue delivers; until the relay has every mail. Every round
     * opens a new queue on the same spool directory, as a restarted Jenkins would.
     */
    private EndToEnd endToEnd(int count, int threads) throws Exception {
        Path spool = endToEndSpool;
        {
            int before = relay.received().size();
            long[] latencies = new long[count];
            long start;
            double throughput;
            try (FileSpool files = FileSpool.open(spool, cipher);
                 MailQueue queue = MailQueue.builder().relay(settings).spool(files)
                    .deliveryLog(new DeliveryLog(100)).build()) {
                List<OutboundMessage> prepared = prepare(count);
                long cpu = cpu();
                start = System.nanoTime();
                runConcurrently(threads, count, i -> {
                    long t0 = System.nanoTime();
                    queue.submit(prepared.get(i));
                    latencies[i] = System.nanoTime() - t0;
                });
                relay.awaitMessages(before + count, Duration.ofMinutes(5));
                throughput = count / seconds(start);
                reportCpu("end to end", cpu, count);
                System.out.printf("  %-40s %6.1f mails per batch file (per fsync)%n", "", files.statistics().mailsPerBatch());
                QueueMetrics m = queue.metrics();
                if (m.failed() > 0 || m.deadLettered() > 0) {
                    System.out.println("  (end to end: " + m.failed() + " failed attempts, " + m.deadLettered() + " dead letters)");
                }
            }
            Submit submit = new Submit(0, percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1.0));
            return new EndToEnd(throughput, submit);
        }
    }

    /** Delivery alone: a spool filled while the relay was throttled, then drained by a new queue. */
    private double drain(int count, int threads) throws Exception {
        Path spool = Files.createTempDirectory("relay-bench-spool");
        try {
            try (MailQueue queue = MailQueue.builder().relay(settings, Throttle.perHour(1)).spoolDirectory(spool)
                    .deliveryLog(new DeliveryLog(100)).shutdownTimeout(Duration.ofSeconds(5)).build()) {
                List<OutboundMessage> prepared = prepare(count);
                runConcurrently(threads, count, i -> queue.submit(prepared.get(i)));
            }
            int before = relay.received().size();
            long cpu = cpu();
            long start = System.nanoTime();
            try (MailQueue queue = MailQueue.builder().relay(settings).spoolDirectory(spool).deliveryLog(new DeliveryLog(100)).build()) {
                relay.awaitMessages(before + count - 1, Duration.ofMinutes(5)); // one went out before the throttle closed
                double throughput = count / seconds(start);
                reportCpu("drain (delivery alone)", cpu, count);
                return throughput;
            }
        } finally {
            delete(spool);
        }
    }

    private List<OutboundMessage> prepare(int count) {
        List<OutboundMessage> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(message());
        }
        return list;
    }

    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    private static void runConcurrently(int threads, int count, Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < count) {
                        task.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static double percentile(long[] nanos, double p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
        return sorted[index] / 1e6;
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** CPU time of this process (client, queue and the embedded relay alike), in nanos. */
    static long cpu() {
        return OS.getProcessCpuTime();
    }

    static void reportCpu(String phase, long cpuStart, int count) {
        System.out.printf("  %-40s %6.0f us CPU per message (this process, user + system)%n", phase, (cpu() - cpuStart) / 1e3 / count);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    @FunctionalInterface
    interface Phase {
        void run() throws Exception;
    }

    /** An AES-256 key made for the run: what a platform's {@link BodyKeys} gives the spool. */
    private static BodyCipher benchCipher() {
        byte[] material = new byte[32];
        new java.security.SecureRandom().nextBytes(material);
        BodyKeys.Key key = new BodyKeys.Key("bench", new javax.crypto.spec.SecretKeySpec(material, "AES"));
        return BodyCipher.aesGcm(new BodyKeys() {
            @Override
            public java.util.Optional<Key> current() {
                return java.util.Optional.of(key);
            }

            @Override
            public java.util.Optional<Key> find(String id) {
                return current().filter(k -> k.id().equals(id));
            }
        });
    }

    private static void repeat(Phase phase) throws Exception {
        for (int i = 0; i < 5; i++) {
            phase.run();
        }
    }

    private static String stringArg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    private static void delete(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
