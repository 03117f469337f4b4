package io.github.outboundrelay.bench;

import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.testing.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocketFactory;

/**
 * Issue 6: every way this machine can move 2 KiB mails to an SMTP sink, side by side in one run, against the same
 * sinks: Postfix's smtp-source (the limit), today's per-message {@code Transport.send} (Keycloak's default sender,
 * Jenkins Mailer), relay-common's pooled synchronous send, its durable queue, and the heap a backlog costs. Cases
 * alternate round by round (each round in a rotated order) so that load from elsewhere on the machine hits them
 * alike; figures are medians over rounds, ratios the median of the per-round ratios.
 *
 * <p>Not a test: {@code bench/run all} installs the sinks, builds and runs this. {@code --only KEY --seconds S}
 * repeats one case (to profile it with JFR).
 */
public final class SideBySideBenchmark {
    private final Options options;
    private final Map<String, CaseSpec> cases = new LinkedHashMap<>();
    private final Map<String, List<Measurement>> results = new LinkedHashMap<>();
    private final List<String> loads = new ArrayList<>();

    /** A case: its table row and how to run it once at a given scale. */
    record CaseSpec(String key, String section, String label, boolean external, Runner runner) {
    }

    @FunctionalInterface
    interface Runner {
        Measurement run(double scale) throws Exception;
    }

    record Options(int rounds, int threads, int submitters, double scale, int heapMessages, Path doc, String only,
                   int seconds) {
        static Options parse(String[] args) {
            return new Options(intArg(args, "--rounds", 5), intArg(args, "--threads", 4), intArg(args, "--submitters", 16),
                    Double.parseDouble(arg(args, "--scale", "1")), intArg(args, "--heap-messages", 100_000),
                    arg(args, "--doc", null) == null ? null : Path.of(arg(args, "--doc", null)), arg(args, "--only", null),
                    intArg(args, "--seconds", 60));
        }
    }

    private SideBySideBenchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        // Every delivery is an INFO event on System.Logger; a console line per mail would measure the console.
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.SEVERE);
        Options options = Options.parse(args);
        new SideBySideBenchmark(options).run();
    }

    private void run() throws Exception {
        Environment env = Environment.describe();
        Path work = Files.createTempDirectory("relay-bench-sinks");
        SelfSignedCertificate certificate = SelfSignedCertificate.forLoopback();
        certificate.writePemFiles(work);
        try (ExternalSinks external = ExternalSinks.start(work);
             StartTlsSink starttls = StartTlsSink.start(certificate.serverContext(), "bench", "bench-pw")) {
            env.put("stunnel", external.stunnelVersion());
            String pem = certificate.pem();
            SendCases.Target plain = new SendCases.Target("plain", external.smtpSinkPort(), TlsMode.NONE, null, null, null);
            SendCases.Target tls = new SendCases.Target("implicit TLS", external.stunnelPort(), TlsMode.IMPLICIT_TLS, null, null, pem);
            SendCases.Target start = new SendCases.Target("STARTTLS+AUTH", starttls.port(), TlsMode.STARTTLS, "bench", "bench-pw", pem);
            defineCases(external.smtpSinkPort(), plain, tls, start, certificate.clientContext().getSocketFactory());
            System.out.printf("Outbound Relay side-by-side benchmark, %s%n%s%n", env.date(), env.summary());
            System.out.printf("sinks: smtp-sink 127.0.0.1:%d, stunnel 127.0.0.1:%d -> smtp-sink, STARTTLS sink (in process) 127.0.0.1:%d%n%n",
                    external.smtpSinkPort(), external.stunnelPort(), starttls.port());
            if (options.only() != null) {
                repeatOne(options.only());
                return;
            }
            warmUp();
            for (int round = 0; round < options.rounds(); round++) {
                runRound(round);
            }
        }
        QueuedHeap heap = measureHeap();
        Report report = new Report(options, env, cases, results, loads, heap);
        String table = report.text();
        System.out.println();
        System.out.println(table);
        if (options.doc() != null) {
            report.writeInto(options.doc());
            System.out.println("written into " + options.doc());
        }
    }

    private void defineCases(int sinkPort, SendCases.Target plain, SendCases.Target tls, SendCases.Target start,
                             SSLSocketFactory trust) {
        int n = options.threads();
        Duration cap = Duration.ofSeconds(5);
        add("limit.reuse.1", "1 limit", "smtp-source -d, 1 session (one connection reused)", true,
                s -> SmtpSource.run(sinkPort, 1, true, count(40_000, s), Duration.ofSeconds(60)));
        add("limit.reuse.N", "1 limit", "smtp-source -d, " + n + " sessions", true,
                s -> SmtpSource.run(sinkPort, n, true, count(60_000, s), Duration.ofSeconds(60)));
        add("limit.perconn.1", "1 limit", "smtp-source, 1 session, a connection per message", true,
                s -> SmtpSource.run(sinkPort, 1, false, count(20_000, s), Duration.ofSeconds(60)));
        for (SendCases.Target t : List.of(plain, tls, start)) {
            String k = key(t);
            int perMessage = t.tlsMode() == TlsMode.NONE ? 4_000 : 600;
            add("today." + k + ".1", "2 today", "Transport.send per message, " + t.name() + ", 1 thread", false,
                    s -> SendCases.perMessageTransport(t, trust, 1, count(perMessage, s), cap));
            add("today." + k + ".N", "2 today", "Transport.send per message, " + t.name() + ", " + n + " threads", false,
                    s -> SendCases.perMessageTransport(t, trust, n, count(perMessage * 2, s), cap));
        }
        for (SendCases.Target t : List.of(plain, tls, start)) {
            String k = key(t);
            add("pool." + k + ".1", "3 relay-common", "RelayClient.send, " + t.name() + ", 1 thread, reused", false,
                    s -> SendCases.pooled(t, 1, count(30_000, s), cap));
            add("pool." + k + ".N", "3 relay-common", "RelayClient.send, " + t.name() + ", " + n + " threads/connections", false,
                    s -> SendCases.pooled(t, n, count(40_000, s), cap));
        }
        add("submit.1", "4 queue", "MailQueue.submit durable, 1 thread (relay throttled)", false,
                s -> QueueCases.durableSubmit(plain, 1, count(4_000, s), cap));
        add("submit.M", "4 queue", "MailQueue.submit durable, " + options.submitters() + " threads (relay throttled)", false,
                s -> QueueCases.durableSubmit(plain, options.submitters(), count(15_000, s), Duration.ofSeconds(10)));
        // As many mails as the pool case it is divided by: a shorter run would weigh the queue's start and its last
        // mails' drain against the pool's steady state.
        for (SendCases.Target t : List.of(plain, tls)) {
            add("e2e." + key(t), "4 queue", "MailQueue submit -> delivered, " + t.name() + ", " + options.submitters()
                            + " submitters, " + n + " connections", false,
                    s -> QueueCases.endToEnd(t, n, options.submitters(), count(40_000, s), Duration.ofSeconds(60)));
        }
        // Measured experiments (no target): each removes one suspected per-message cost; see Experiments.
        add("x.streamprovider.1", "5 experiments", "RelayClient.send, plain, 1 thread, -D" + Experiments.STREAM_PROVIDER
                + " (no ServiceLoader scan per message)", false,
                s -> Experiments.withStreamProviderProperty(plain, 1, count(30_000, s), cap));
        add("x.angus-rendered.1", "5 experiments", "Angus SMTPTransport reused, plain, 1 thread, MIME rendered by a StringBuilder",
                false, s -> Experiments.angusPrerendered(sinkPort, count(30_000, s), cap));
        add("x.raw.1", "5 experiments", "raw socket client, plain, 1 thread, same rendering, no pipelining", false,
                s -> Experiments.rawClient(sinkPort, false, count(40_000, s), cap));
        add("x.raw-pipelined.1", "5 experiments", "raw socket client, plain, 1 thread, MAIL+RCPT+DATA pipelined", false,
                s -> Experiments.rawClient(sinkPort, true, count(40_000, s), cap));
    }

    static String key(SendCases.Target t) {
        return switch (t.tlsMode()) {
            case NONE -> "plain";
            case IMPLICIT_TLS -> "tls";
            case STARTTLS -> "starttls";
        };
    }

    private int count(int base, double scale) {
        return Math.max(20, (int) (base * options.scale() * scale));
    }

    private void add(String key, String section, String label, boolean external, Runner runner) {
        cases.put(key, new CaseSpec(key, section, label, external, runner));
        results.put(key, new ArrayList<>());
    }

    /** The JIT compiles TLS, Angus, the spool and the sinks for a while: every Java case once, the busiest twice. */
    private void warmUp() throws Exception {
        System.out.println("warming up ...");
        for (CaseSpec c : cases.values()) {
            if (!c.external()) {
                c.runner().run(0.5);
            }
        }
        for (String k : List.of("pool.plain.1", "pool.plain.N", "e2e.plain", "submit.M")) {
            cases.get(k).runner().run(0.5);
        }
    }

    private void runRound(int round) throws Exception {
        String load = Environment.loadAverage();
        loads.add(load);
        System.out.printf("round %d of %d (load %s)%n", round + 1, options.rounds(), load);
        List<CaseSpec> order = new ArrayList<>(cases.values());
        int shift = round * order.size() / Math.max(1, options.rounds());
        for (int i = 0; i < order.size(); i++) {
            CaseSpec c = order.get((i + shift) % order.size());
            Measurement m = c.runner().run(1.0);
            results.get(c.key()).add(m);
            System.out.printf("  %-16s %10.0f msg/s  %7d msgs%s%n", c.key(), m.perSecond(), m.messages(),
                    m.note().isEmpty() ? "" : "  (" + m.note() + ")");
        }
    }

    /** Repeats one case for {@code --seconds}, printing each run: the process to attach a profiler to. */
    private void repeatOne(String key) throws Exception {
        CaseSpec c = cases.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no case " + key + "; cases: " + cases.keySet());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(options.seconds()).toNanos();
        for (int i = 0; i < 10_000 && System.nanoTime() < deadline; i++) {
            Measurement m = c.runner().run(1.0);
            System.out.printf("%s %.0f msg/s  cpu %.0f us/msg (kernel %.0f)  p50 %.3f ms  p99 %.3f ms%s%n", key, m.perSecond(),
                    m.cpuMicrosPerMessage(), m.kernelMicrosPerMessage(),
                    Measurement.percentileMillis(m.latency(), (int) Math.min(m.messages(), m.latency() == null ? 0 : m.latency().length), 0.5),
                    Measurement.percentileMillis(m.latency(), (int) Math.min(m.messages(), m.latency() == null ? 0 : m.latency().length), 0.99),
                    m.note().isEmpty() ? "" : "  (" + m.note() + ")");
        }
    }

    /** Case 6 in a child JVM. */
    record QueuedHeap(int messages, Map<String, Long> figures) {
    }

    private QueuedHeap measureHeap() throws Exception {
        if (options.heapMessages() <= 0) {
            return null;
        }
        System.out.printf("%nheap: %,d mails queued with the relay down, in a child JVM (%s) ...%n", options.heapMessages(),
                QueuedHeapFootprint.MAX_HEAP);
        return new QueuedHeap(options.heapMessages(), QueuedHeapFootprint.measure(options.heapMessages(), Duration.ofMinutes(8)));
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    static int intArg(String[] args, String name, int fallback) {
        String v = arg(args, name, null);
        return v == null ? fallback : Integer.parseInt(v);
    }

    static String now() {
        return ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    }
}
