package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.InvalidInputException;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.BounceKind;
import io.github.outboundrelay.common.bounce.BounceMailbox;
import io.github.outboundrelay.common.bounce.BounceMailboxException;
import io.github.outboundrelay.common.BounceMailboxSettings;
import io.github.outboundrelay.common.bounce.BounceReport;
import io.github.outboundrelay.common.bounce.MailboxRead;
import io.github.outboundrelay.common.json.Json;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code relay bounces}: reads the bounce mailbox without changing it (IMAP EXAMINE: no flag, no move, no delete)
 * and prints each report. Exit 0 when the mailbox was read, 3 when a step failed (category and remedy), 2 on a
 * usage error. Recipients are printed in full: this is the administrator's own tool on the administrator's own
 * mailbox, and a masked address could not be looked up or removed from the suppression list.
 */
public final class BouncesCommand {
    static final CommandLine.Spec SPEC = new CommandLine.Spec(
            Set.of("host", "port", "tls", "user", "password-env", "folder", "trust-pem", "pin", "max",
                    "connect-timeout", "read-timeout", "write-timeout"),
            Set.of("password-stdin", "json"), Set.of("pin"));

    static final String USAGE = """
            Options of bounces (reads the mailbox read-only; nothing in it is changed):
              --host HOST            the IMAP server (required)
              --port PORT            default: 993 for implicit, 143 for starttls
              --tls MODE             implicit (default) or starttls; there is no plaintext mode
              --user USER            the mailbox user (required)
              --password-env VAR     or --password-stdin: the mailbox password
              --folder NAME          the folder the reports arrive in (default INBOX)
              --trust-pem FILE       trust the CA certificate(s) in FILE instead of the JVM's CA store
              --max N                read at most N mails, oldest first (default %d)
              --json                 one JSON object: reports (kind, recipient, status, diagnostic,
                                     originalMessageId, reportingMta) and counts
            """.formatted(BounceMailboxSettings.DEFAULT_MAX_PER_POLL);

    private BouncesCommand() {
    }

    static int run(List<String> args, CliIo io) {
        CommandLine line = CommandLine.parse("bounces", args, SPEC);
        line.required("host");
        if (line.value("user").isEmpty()) {
            throw new UsageException("bounces needs --user: the mailbox user name, with --password-env VAR or --password-stdin");
        }
        TlsMode mode = TlsMode.parse(line.value("tls").orElse("implicit"));
        if (mode == TlsMode.NONE) {
            throw new UsageException("--tls none is refused for the bounce mailbox: the password would cross the network "
                    + "in plain text; use implicit (993) or starttls (143)");
        }
        Authentication authentication = RelayOptions.authentication(line, io);
        BounceMailboxSettings.Builder settings = BounceMailboxSettings.builder()
                .host(line.required("host"))
                .tlsMode(mode)
                .authentication(authentication)
                .folder(line.value("folder").orElse("INBOX"))
                .trust(RelayOptions.trust(line))
                .timeouts(RelayOptions.timeouts(line));
        line.value("port").ifPresent(p -> settings.port(number("port", p)));
        line.value("max").ifPresent(m -> settings.maxPerPoll(number("max", m)));
        BounceMailboxSettings mailbox;
        try {
            mailbox = settings.build();
        } catch (InvalidInputException e) {
            String option = e.field().replaceFirst("^bounce", "").toLowerCase(Locale.ROOT);
            throw new UsageException("--" + option + ": " + e.problem() + ". " + e.fix());
        }
        boolean json = line.flag("json");
        try {
            MailboxRead read = new BounceMailbox(mailbox, Clock.systemUTC()).read();
            io.out().print(json ? Json.write(read.toMap()) + "\n" : text(mailbox, read));
            return ExitCode.OK;
        } catch (BounceMailboxException e) {
            io.out().print(json ? json(e) : text(e));
            return ExitCode.FAILED;
        }
    }

    static String text(BounceMailboxSettings mailbox, MailboxRead read) {
        StringBuilder out = new StringBuilder();
        out.append("Mailbox ").append(mailbox.host()).append(':').append(mailbox.port()).append(", folder ")
                .append(read.folder()).append(": ").append(read.messagesInFolder()).append(" mail(s), ")
                .append(read.mails().size()).append(" read; nothing was changed.\n");
        for (BounceReport r : read.reports()) {
            out.append(String.format("%-9s %s  %s%n", r.kind().label(), r.recipient().isEmpty() ? "-" : r.recipient(),
                    r.status().isEmpty() ? "-" : r.status()));
            if (!r.diagnostic().isEmpty()) {
                out.append("          diagnostic:   ").append(r.diagnostic()).append('\n');
            }
            if (!r.originalMessageId().isEmpty()) {
                out.append("          Message-ID:   ").append(r.originalMessageId()).append('\n');
            }
            if (!r.reportingMta().isEmpty()) {
                out.append("          reported by:  ").append(r.reportingMta()).append('\n');
            }
        }
        Map<BounceKind, Integer> counts = read.counts();
        out.append("Counts: hard ").append(counts.get(BounceKind.HARD)).append(", soft ").append(counts.get(BounceKind.SOFT))
                .append(", complaint ").append(counts.get(BounceKind.COMPLAINT)).append(", unknown ")
                .append(counts.get(BounceKind.UNKNOWN)).append('\n');
        return out.toString();
    }

    static String text(BounceMailboxException e) {
        return "Mailbox not read: " + e.detail() + "\n"
                + "  category: " + e.category() + "\n"
                + "  remedy:   " + e.remedy() + "\n";
    }

    static String json(BounceMailboxException e) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("read", false);
        map.put("category", e.category().name());
        map.put("detail", e.detail());
        map.put("remedy", e.remedy());
        return Json.write(map) + "\n";
    }

    private static int number(String option, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + option + " '" + text + "' is not a whole number");
        }
    }
}
