package io.github.outboundrelay.common.bounce;

import io.github.outboundrelay.common.SuppressionList;
import io.github.outboundrelay.common.Suppression;
import io.github.outboundrelay.common.BounceCountStore;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.BounceLimits;
import io.github.outboundrelay.common.BounceMetrics;
import io.github.outboundrelay.common.BounceWatch;
import io.github.outboundrelay.common.DeliveryEvent;
import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RecipientMask;
import io.github.outboundrelay.common.SendGate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The bounce policy: applies reports to the suppression list (a hard bounce or a complaint suppresses the
 * recipient; soft bounces suppress at {@link BounceLimits#softBounceLimit()}), keeps the rates, and stops mail to
 * suppressed recipients through the queue's {@link SendGate}. Each report becomes a
 * {@link DeliveryEvent.Outcome#BOUNCE_REPORTED} event in the delivery log, with the rates and any warning.
 *
 * <pre>{@code
 * BounceTracker tracker = new BounceTracker(FileSuppressionList.open(dir), BounceLimits.DEFAULT, log, true, Clock.systemUTC());
 * MailQueue queue = MailQueue.builder().relay(settings).spoolDirectory(spool).deliveryLog(log).bounces(tracker).build();
 * BounceIntake intake = new BounceIntake(new BounceMailbox(mailboxSettings, clock), tracker, clock);
 * }</pre>
 *
 * A report applied twice (the mailbox failed between applying and marking it) suppresses the same address once,
 * but counts twice in the rates and the soft-bounce count: reports are rare, and counting one twice is the price
 * of never losing one.
 */
public final class BounceTracker implements BounceWatch, BounceMailbox.ReportSink, AutoCloseable {
    private static final System.Logger LOGGER = System.getLogger("io.github.outboundrelay.bounces");

    static final String COUNTS_FILE = "rates.tsv";

    private final SuppressionList list;
    private final Path countsFile; // null: the counts stay in memory
    private final BounceLimits limits;
    private final DeliveryLog log;
    private final boolean maskRecipients;
    private final Clock clock;
    private final RateCounts counts;
    private volatile Consumer<Suppression> onSuppressed = s -> { };

    /**
     * A tracker whose counts live in memory only (a list kept elsewhere, such as Keycloak's database).
     *
     * @param maskRecipients whether addresses are masked in the delivery log, as the relay settings say
     */
    public BounceTracker(SuppressionList list, BounceLimits limits, DeliveryLog log, boolean maskRecipients, Clock clock) {
        this(list, null, new BounceCounts(), limits, log, maskRecipients, clock);
    }

    /**
     * A tracker whose counts are shared through {@code store} (Keycloak's database): this node's counts are added up
     * in memory and written every {@code flushPeriod}, after each poll's reports and at {@link #close()}; the rates
     * are computed from every node's sums.
     */
    public BounceTracker(SuppressionList list, BounceCountStore store, Duration flushPeriod, BounceLimits limits,
                         DeliveryLog log, boolean maskRecipients, Clock clock) {
        this(list, null, new StoredBounceCounts(store, flushPeriod), limits, log, maskRecipients, clock);
        ((StoredBounceCounts) counts).start();
    }

    private BounceTracker(SuppressionList list, Path countsFile, RateCounts counts, BounceLimits limits, DeliveryLog log,
                          boolean maskRecipients, Clock clock) {
        this.list = Objects.requireNonNull(list, "list");
        this.countsFile = countsFile;
        this.counts = counts;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.log = Objects.requireNonNull(log, "log");
        this.maskRecipients = maskRecipients;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The file-backed tracker: the suppression list ({@link FileSuppressionList}) and the rate counts
     * ({@value #COUNTS_FILE}, saved after each report and each {@link #saveCounts()}) in one owner-only directory.
     */
    public static BounceTracker open(Path directory, BounceLimits limits, DeliveryLog log, boolean maskRecipients, Clock clock) {
        BounceCounts counts = new BounceCounts();
        BounceTracker tracker = new BounceTracker(FileSuppressionList.open(directory), directory.resolve(COUNTS_FILE), counts,
                limits, log, maskRecipients, clock);
        try {
            if (Files.exists(tracker.countsFile)) {
                counts.addLines(Files.readAllLines(tracker.countsFile, StandardCharsets.UTF_8), clock.instant());
            }
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "The bounce counts in " + tracker.countsFile + " could not be read ("
                    + e.getMessage() + "); the rates start from zero");
        }
        return tracker;
    }

    /**
     * Writes the rate counts: to the count store when there is one (this node's deltas), else to the file (temporary
     * file, then rename) when this tracker has a directory. {@link BounceIntake} calls it after every poll, so a crash
     * loses at most the sent counts of one poll interval (with a store: of one flush period).
     */
    public void saveCounts() throws IOException {
        if (counts instanceof StoredBounceCounts stored) {
            stored.flush();
            return;
        }
        if (countsFile == null) {
            return;
        }
        synchronized (countsFile) {
            Path temp = countsFile.resolveSibling(COUNTS_FILE + ".tmp");
            Files.write(temp, ((BounceCounts) counts).toLines(), StandardCharsets.UTF_8);
            Files.move(temp, countsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Saves the counts one last time and, with a count store, stops the flush period (a count arriving later is
     * written at once). The list stays where it is kept.
     */
    @Override
    public void close() {
        if (counts instanceof StoredBounceCounts stored) {
            stored.close();
            return;
        }
        try {
            saveCounts();
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.WARNING, "The bounce counts could not be saved at close: " + e.getMessage());
        }
    }

    /**
     * Called once each time an address becomes suppressed, after the list holds it (Keycloak marks the user's email
     * as not verified). Called on the polling thread; an exception from it is logged and does not stop the poll.
     */
    public void onSuppressed(Consumer<Suppression> listener) {
        this.onSuppressed = Objects.requireNonNull(listener, "listener");
    }

    public SuppressionList suppressions() {
        return list;
    }

    /** Takes one mail's reports into account; durable when it returns (the mailbox then marks the mail). */
    @Override
    public void accept(List<BounceReport> reports) throws IOException {
        for (BounceReport report : reports) {
            apply(report, clock.instant());
        }
        if (counts instanceof StoredBounceCounts stored) {
            // The reports are durable in the list; their counts wait in memory for the next flush when the store
            // fails. Failing here would leave the mail unmarked, and the next poll would count its reports again.
            stored.flushQuietly();
        } else {
            saveCounts();
        }
    }

    void apply(BounceReport report, Instant now) throws IOException {
        if (report.kind() != BounceKind.UNKNOWN && !report.recipient().isEmpty()) {
            Optional<Suppression> before = list.get(report.recipient());
            Suppression after = next(before.orElse(null), report, now);
            list.put(after);
            if (after.suppressed() && before.map(s -> !s.suppressed()).orElse(true)) {
                LOGGER.log(System.Logger.Level.INFO, "suppressed " + shown(after.address()) + " after a " + after.reason().label()
                        + (after.status().isEmpty() ? "" : " (" + after.status() + ")"));
                try {
                    onSuppressed.accept(after);
                } catch (RuntimeException e) {
                    LOGGER.log(System.Logger.Level.WARNING, "The listener for " + shown(after.address()) + " failed: " + e);
                }
            }
        }
        counts.reported(report.kind(), now);
        BounceMetrics metrics = metrics(now);
        log.record(new DeliveryEvent(now, DeliveryEvent.Outcome.BOUNCE_REPORTED, report.originalMessageId(),
                report.reportingMta(), report.recipient().isEmpty() ? List.of() : List.of(shown(report.recipient())), null,
                report.status(), 0, 0, report.kind().label() + sentAs(report) + "; " + rates(metrics)
                        + (metrics.warnings().isEmpty() ? "" : "; " + String.join("; ", metrics.warnings()))));
    }

    /**
     * The mail the report is about, matched by the Message-ID the report returned against the delivery log's recent
     * events: when and through which relay it left; empty when the report names none or the log no longer holds it.
     * With VERP, a mail to several recipients left as one copy per recipient under one Message-ID: the copy sent to
     * the reported recipient (its address whole or masked in the event) is preferred to the others.
     */
    private String sentAs(BounceReport report) {
        String originalMessageId = report.originalMessageId();
        if (originalMessageId.isEmpty()) {
            return "";
        }
        String recipient = report.recipient();
        String masked = recipient.isEmpty() ? "" : RecipientMask.mask(recipient);
        DeliveryEvent sameMail = null;
        List<DeliveryEvent> recent = log.recent();
        for (int i = recent.size() - 1; i >= 0; i--) {
            DeliveryEvent e = recent.get(i);
            if (originalMessageId.equals(e.messageId()) && (e.outcome() == DeliveryEvent.Outcome.SENT
                    || e.outcome() == DeliveryEvent.Outcome.PARTIALLY_SENT)) {
                if (!recipient.isEmpty() && e.recipients().stream()
                        .anyMatch(r -> r.equalsIgnoreCase(recipient) || r.equalsIgnoreCase(masked))) {
                    return "; the mail sent at " + e.time() + " through " + e.relay();
                }
                sameMail = sameMail == null ? e : sameMail;
            }
        }
        return sameMail == null ? "" : "; the mail sent at " + sameMail.time() + " through " + sameMail.relay();
    }

    private Suppression next(Suppression before, BounceReport report, Instant now) {
        Instant since = before == null ? now : before.since();
        int soft = before == null ? 0 : before.softBounces();
        String diagnostic = maskRecipients ? RecipientMask.maskWithin(report.diagnostic()) : report.diagnostic();
        if (before != null && before.suppressed() && report.kind() == BounceKind.SOFT) {
            // Already stopped for a harder reason: a later soft bounce does not soften it.
            return new Suppression(before.address(), true, before.reason(), before.status(), before.diagnostic(),
                    soft + 1, since, now);
        }
        return switch (report.kind()) {
            case HARD, COMPLAINT -> new Suppression(report.recipient(), true, report.kind(), report.status(), diagnostic,
                    soft, since, now);
            default -> new Suppression(report.recipient(), soft + 1 >= limits.softBounceLimit(), BounceKind.SOFT,
                    report.status(), diagnostic, soft + 1, since, now);
        };
    }

    @Override
    public SendGate gate(SendGate next) {
        return (message, firstSubmitted, now) -> {
            SendGate.Verdict verdict = next.check(message, firstSubmitted, now);
            if (verdict.decision() != SendGate.Decision.SEND) {
                return verdict;
            }
            List<MailAddress> suppressed = new ArrayList<>();
            for (MailAddress recipient : message.recipients()) {
                if (list.isSuppressed(recipient.address())) {
                    suppressed.add(recipient);
                }
            }
            if (suppressed.isEmpty()) {
                return verdict;
            }
            String who = String.join(", ", suppressed.stream().map(a -> shown(a.address())).toList());
            return suppressed.size() == message.recipients().size()
                    ? SendGate.Verdict.suppressed("every recipient is on the suppression list (" + who + ")")
                    : SendGate.Verdict.sendWithout(suppressed, who + " on the suppression list");
        };
    }

    @Override
    public void sent(int acceptedRecipients, Instant now) {
        counts.sent(acceptedRecipients, now);
    }

    @Override
    public BounceMetrics metrics(Instant now) {
        BounceMetrics.Window day = counts.window(Duration.ofHours(24), now);
        BounceMetrics.Window week = counts.window(Duration.ofDays(7), now);
        List<String> warnings = new ArrayList<>();
        for (BounceMetrics.Window w : List.of(day, week)) {
            warn(warnings, "hard-bounce", w.hardBounceRate(), w.hardBounces(), w, limits.hardBounceWarning(), limits.hardBounceCritical());
            warn(warnings, "complaint", w.complaintRate(), w.complaints(), w, limits.complaintWarning(), limits.complaintCritical());
        }
        return new BounceMetrics(day, week, list.suppressedCount(), warnings);
    }

    /** Removes an address from the list (an administrator fixed it); true when it was there. */
    public boolean remove(String address) throws IOException {
        return list.remove(address);
    }

    private static void warn(List<String> warnings, String what, double rate, long reports, BounceMetrics.Window w,
                             double warning, double critical) {
        if (rate < warning) {
            return;
        }
        String window = w.span().toDays() >= 7 ? "7 days" : "24 hours";
        warnings.add(String.format(Locale.ROOT, "%s rate %s over %s (%d of %d recipients) is at or above the %s %s level: "
                        + "relays review senders there%s; remove bad addresses at the source and stop mailing people who did not ask for it",
                what, percent(rate), window, reports, w.sentRecipients(), rate >= critical ? "critical" : "warning",
                percent(rate >= critical ? critical : warning), rate >= critical ? " and may pause them" : ""));
    }

    private static String rates(BounceMetrics m) {
        return "hard-bounce rate " + percent(m.last24Hours().hardBounceRate()) + " (24 h), "
                + percent(m.last7Days().hardBounceRate()) + " (7 d); complaint rate "
                + percent(m.last24Hours().complaintRate()) + " (24 h), " + percent(m.last7Days().complaintRate()) + " (7 d)";
    }

    static String percent(double rate) {
        return String.format(Locale.ROOT, "%.2f %%", rate * 100);
    }

    private String shown(String address) {
        return maskRecipients ? RecipientMask.mask(address) : address;
    }
}
