package io.github.outboundrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures as a Markdown block: printed, and put between the markers of docs/performance.md (the rest of that
 * page, method and analysis, is written by hand and left alone).
 */
final class Report {
    static final String BEGIN = "<!-- side-by-side:begin (bench/run all writes this block; edits inside are overwritten) -->";
    static final String END = "<!-- side-by-side:end -->";
    private static final long MIB = 1024 * 1024;

    /** A ratio with a target: {@code numerator / denominator >= atLeast}; denominator null for an absolute rate. */
    record Target(String label, String numerator, String denominator, double atLeast) {
    }

    private final SideBySideBenchmark.Options options;
    private final Environment env;
    private final Map<String, SideBySideBenchmark.CaseSpec> cases;
    private final Map<String, List<Measurement>> results;
    private final List<String> loads;
    private final SideBySideBenchmark.QueuedHeap heap;

    Report(SideBySideBenchmark.Options options, Environment env, Map<String, SideBySideBenchmark.CaseSpec> cases,
           Map<String, List<Measurement>> results, List<String> loads, SideBySideBenchmark.QueuedHeap heap) {
        this.options = options;
        this.env = env;
        this.cases = cases;
        this.results = results;
        this.loads = loads;
        this.heap = heap;
    }

    /** Issue 13's targets (mail rendered once into bytes); issue 6's were 0.8x, 50x, 2,000 msg/s, 0.8x, 64 MiB. */
    private static final List<Target> TARGETS = List.of(
            new Target("relay-common plain, 1 thread / smtp-source 1 session", "pool.plain.1", "limit.reuse.1", 1.0),
            new Target("relay-common implicit TLS, N threads / Transport.send per message, implicit TLS, N threads", "pool.tls.N", "today.tls.N", 100),
            new Target("relay-common STARTTLS+AUTH, N threads / Transport.send per message, STARTTLS+AUTH, N threads", "pool.starttls.N", "today.starttls.N", 100),
            new Target("durable submit, M threads (msg/s)", "submit.M", null, 10_000),
            new Target("queue end to end / same pool without it, plain", "e2e.plain", "pool.plain.N", 0.9),
            new Target("queue end to end / same pool without it, implicit TLS", "e2e.tls", "pool.tls.N", 0.9));
    /** JVM CPU per plain mail, relay-common with 1 thread and with N: at most this many microseconds. */
    private static final double CPU_PER_PLAIN_MAIL_MICROS = 40;
    private static final long HEAP_LIMIT_MIB = 32;

    private static final List<Target> CONTEXT = List.of(
            new Target("relay-common plain, N threads / smtp-source N sessions", "pool.plain.N", "limit.reuse.N", 0),
            new Target("relay-common implicit TLS, 1 thread / Transport.send per message, implicit TLS, 1 thread", "pool.tls.1", "today.tls.1", 0),
            new Target("relay-common STARTTLS+AUTH, 1 thread / Transport.send per message, STARTTLS+AUTH, 1 thread", "pool.starttls.1", "today.starttls.1", 0),
            new Target("relay-common plain, 1 thread / Transport.send per message, plain, 1 thread", "pool.plain.1", "today.plain.1", 0),
            new Target("Transport.send per message, plain / smtp-source a connection per message", "today.plain.1", "limit.perconn.1", 0),
            new Target("relay-common implicit TLS / plain, 1 thread", "pool.tls.1", "pool.plain.1", 0),
            new Target("relay-common STARTTLS+AUTH (in-process sink) / plain, 1 thread", "pool.starttls.1", "pool.plain.1", 0),
            new Target("experiment: relay-common + StreamProvider property / smtp-source 1 session", "x.streamprovider.1", "limit.reuse.1", 0),
            new Target("experiment: Angus reused, StringBuilder MIME / smtp-source 1 session", "x.angus-rendered.1", "limit.reuse.1", 0),
            new Target("experiment: raw socket, no pipelining / smtp-source 1 session", "x.raw.1", "limit.reuse.1", 0),
            new Target("experiment: raw socket, pipelined / smtp-source 1 session", "x.raw-pipelined.1", "limit.reuse.1", 0));

    /**
     * The CPU target's row for one case. On an idle machine a lone synchronous sender pays for every wake-up of its
     * own and of the sink's (docs/performance.md, "Where the time goes"), busy connections share them: so the 1-thread
     * and the N-thread case both get a row, and beside the 1-thread case stands what the raw pipelined socket client
     * (no MIME, no pool, no log) spent in the same rounds, the floor of a synchronous send on this machine.
     */
    private String cpuRow(String key, String label, String floorKey) {
        List<Measurement> runs = results.getOrDefault(key, List.of());
        if (runs.isEmpty()) {
            return "";
        }
        double[] cpu = runs.stream().mapToDouble(Measurement::cpuMicrosPerMessage).toArray();
        double v = median(cpu);
        double kernel = median(runs.stream().mapToDouble(Measurement::kernelMicrosPerMessage).toArray());
        List<Measurement> floor = floorKey == null ? List.of() : results.getOrDefault(floorKey, List.of());
        String floorNote = floor.isEmpty() ? "" : String.format(Locale.ROOT, "; raw pipelined socket client %.0f",
                median(floor.stream().mapToDouble(Measurement::cpuMicrosPerMessage).toArray()));
        return String.format(Locale.ROOT, "| JVM CPU per plain mail, %s (us) | %.0f%s | %s%s | <= %.0f | %s |%n",
                label, v, Double.isNaN(kernel) ? "" : String.format(Locale.ROOT, " (kernel %.0f)", kernel),
                perRound(cpu, "%.0f"), floorNote, CPU_PER_PLAIN_MAIL_MICROS, v <= CPU_PER_PLAIN_MAIL_MICROS ? "yes" : "**no**");
    }

    String text() {
        StringBuilder b = new StringBuilder();
        String n = Integer.toString(options.threads());
        String m = Integer.toString(options.submitters());
        b.append("#### Latest run: ").append(env.date()).append("\n\n");
        b.append("- command: `bench/run all`").append(options.rounds() == 5 && options.scale() == 1 ? "" : " (rounds "
                + options.rounds() + ", scale " + options.scale() + ")").append("\n");
        for (Map.Entry<String, String> f : env.facts().entrySet()) {
            b.append("- ").append(f.getKey()).append(": ").append(f.getValue()).append("\n");
        }
        b.append("- load average (1, 5, 15 min) at the start of each round: ").append(String.join("; ", loads)).append("\n");
        b.append("- N = ").append(n).append(" threads (= connections), M = ").append(m).append(" submitter threads; ")
                .append(options.rounds()).append(" rounds, cases in rotated order each round; msg/s is the median round ")
                .append("(min-max beside it); p50/p99 over every message of every round\n\n");

        b.append("| case | msg/s | min-max | p50 ms | p99 ms | JVM CPU us/msg | of it kernel | notes |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
        String section = "";
        for (SideBySideBenchmark.CaseSpec c : cases.values()) {
            if (!c.section().equals(section)) {
                section = c.section();
                b.append("| **").append(section).append("** | | | | | | | |\n");
            }
            List<Measurement> runs = results.get(c.key());
            if (runs.isEmpty()) {
                continue;
            }
            double[] rates = runs.stream().mapToDouble(Measurement::perSecond).sorted().toArray();
            long[] lat = pooled(runs, false);
            long[] sub = pooled(runs, true);
            String notes = notes(runs);
            if (c.key().startsWith("e2e.")) {
                notes = join(notes, String.format(Locale.ROOT, "latency = submit to relay-accepted; submit p50 %.2f / p99 %.2f ms",
                        pct(sub, 0.5), pct(sub, 0.99)));
            }
            double cpu = median(runs.stream().mapToDouble(Measurement::cpuMicrosPerMessage).toArray());
            double kernel = median(runs.stream().mapToDouble(Measurement::kernelMicrosPerMessage).toArray());
            b.append(String.format(Locale.ROOT, "| %s `%s` | %,.0f | %,.0f-%,.0f | %s | %s | %s | %s | %s |%n", c.label(), c.key(),
                    median(rates), rates[0], rates[rates.length - 1], ms(pct(lat, 0.5)), ms(pct(lat, 0.99)),
                    Double.isNaN(cpu) ? "" : String.format(Locale.ROOT, "%.0f", cpu),
                    Double.isNaN(kernel) ? "" : String.format(Locale.ROOT, "%.0f", kernel), notes));
        }

        b.append("\n| target | measured | per round | target | met |\n|---|---:|---|---:|---|\n");
        for (Target t : TARGETS) {
            b.append(targetRow(t, true));
        }
        b.append(cpuRow("pool.plain.1", "relay-common 1 thread", "x.raw-pipelined.1"));
        b.append(cpuRow("pool.plain.N", "relay-common N threads", null));
        if (heap != null) {
            Map<String, Long> f = heap.figures();
            long added = f.getOrDefault("queued.heap", 0L) - f.getOrDefault("empty.heap", 0L);
            b.append(String.format(Locale.ROOT, "| heap added by %,d queued mails (live heap after full GC) | %.1f MiB | | < %d MiB | %s |%n",
                    heap.messages(), added / (double) MIB, HEAP_LIMIT_MIB, added < HEAP_LIMIT_MIB * MIB ? "yes" : "**no**"));
        }
        b.append("\nContext (no target):\n\n| ratio | measured | per round |\n|---|---:|---|\n");
        for (Target t : CONTEXT) {
            b.append(targetRow(t, false));
        }
        if (heap != null) {
            Map<String, Long> f = heap.figures();
            b.append(String.format(Locale.ROOT, "%n%,d mails of a 2,048-byte body queued while the relay is down (child JVM, %s, "
                            + "default GC):%n%n| state | live heap after full GC | resident (VmRSS) | queue depth |%n|---|---:|---:|---:|%n",
                    heap.messages(), QueuedHeapFootprint.MAX_HEAP));
            for (String state : List.of("empty", "queued", "recovered")) {
                b.append(String.format(Locale.ROOT, "| %s | %.1f MiB | %.1f MiB | %s |%n", state,
                        f.getOrDefault(state + ".heap", -1L) / (double) MIB, f.getOrDefault(state + ".rss", -1L) / (double) MIB,
                        state.equals("empty") ? "0" : String.format(Locale.ROOT, "%,d", f.getOrDefault(state + ".depth", -1L))));
            }
            b.append(String.format(Locale.ROOT, "%nqueued - empty: heap %+.1f MiB, resident %+.1f MiB; after a restart over the "
                            + "full spool (recovered) - empty: heap %+.1f MiB.%n",
                    (f.getOrDefault("queued.heap", 0L) - f.getOrDefault("empty.heap", 0L)) / (double) MIB,
                    (f.getOrDefault("queued.rss", 0L) - f.getOrDefault("empty.rss", 0L)) / (double) MIB,
                    (f.getOrDefault("recovered.heap", 0L) - f.getOrDefault("empty.heap", 0L)) / (double) MIB));
        }
        return b.toString();
    }

    private String targetRow(Target t, boolean withTarget) {
        List<Measurement> a = results.get(t.numerator());
        if (a == null || a.isEmpty()) {
            return "";
        }
        if (t.denominator() == null) {
            double[] rates = a.stream().mapToDouble(Measurement::perSecond).sorted().toArray();
            double v = median(rates);
            return String.format(Locale.ROOT, "| %s | %,.0f | %s | >= %,.0f | %s |%n", t.label(), v,
                    perRound(a.stream().mapToDouble(Measurement::perSecond).toArray(), "%,.0f"), t.atLeast(), v >= t.atLeast() ? "yes" : "**no**");
        }
        List<Measurement> d = results.get(t.denominator());
        int rounds = Math.min(a.size(), d.size());
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ratios[i] = a.get(i).perSecond() / d.get(i).perSecond();
        }
        double v = median(ratios.clone());
        String format = v >= 10 ? "%.0fx" : "%.2fx";
        if (!withTarget) {
            return String.format(Locale.ROOT, "| %s | " + format + " | %s |%n", t.label(), v, perRound(ratios, format));
        }
        return String.format(Locale.ROOT, "| %s | " + format + " | %s | >= %sx | %s |%n", t.label(), v, perRound(ratios, format),
                t.atLeast() >= 10 ? String.format(Locale.ROOT, "%.0f", t.atLeast()) : String.format(Locale.ROOT, "%.1f", t.atLeast()),
                v >= t.atLeast() ? "yes" : "**no**");
    }

    /** Distinct notes of the runs; "N mails per fsync" gathered into one list, round by round. */
    private static String notes(List<Measurement> runs) {
        List<String> plain = new ArrayList<>();
        List<String> perFsync = new ArrayList<>();
        for (Measurement m : runs) {
            for (String part : m.note().split("; ")) {
                if (part.endsWith(" mails per fsync")) {
                    perFsync.add(part.substring(0, part.indexOf(' ')));
                } else if (!part.isEmpty() && !plain.contains(part)) {
                    plain.add(part);
                }
            }
        }
        if (!perFsync.isEmpty()) {
            plain.add("mails per fsync " + String.join(" ", perFsync));
        }
        return String.join("; ", plain);
    }

    private static String perRound(double[] values, String format) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, format, v));
        }
        return String.join(" ", parts);
    }

    /** Every round's per-message latencies in one array (submit latencies when {@code submit}). */
    private static long[] pooled(List<Measurement> runs, boolean submit) {
        List<long[]> parts = new ArrayList<>();
        int total = 0;
        for (Measurement m : runs) {
            long[] values = submit ? m.submit() : m.latency();
            if (values == null) {
                continue;
            }
            int count = (int) Math.min(values.length, m.messages());
            parts.add(Arrays.copyOf(values, count));
            total += count;
        }
        if (total == 0) {
            return null;
        }
        long[] all = new long[total];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static double pct(long[] values, double p) {
        return values == null ? Double.NaN : Measurement.percentileMillis(values, values.length, p);
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "; " + b;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Replaces the block between the markers in {@code doc} (appends it, markers included, when they are absent). */
    void writeInto(Path doc) throws IOException {
        String block = BEGIN + "\n" + text() + END;
        String page = Files.exists(doc) ? Files.readString(doc) : "# Performance\n\n";
        int from = page.indexOf(BEGIN);
        int to = page.indexOf(END);
        String updated = from >= 0 && to > from
                ? page.substring(0, from) + block + page.substring(to + END.length())
                : page + (page.endsWith("\n") ? "\n" : "\n\n") + block + "\n";
        Files.writeString(doc, updated);
    }
}
