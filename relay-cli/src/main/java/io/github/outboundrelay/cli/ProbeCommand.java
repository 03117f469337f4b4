package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.ProbeReport;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import java.util.List;
import java.util.Set;

/** {@code relay probe}: the step report on standard output; exit 0 when every step passed, 3 when one failed. */
public final class ProbeCommand {
    static final CommandLine.Spec SPEC = RelayOptions.spec(Set.of(), Set.of());

    private ProbeCommand() {
    }

    static int run(List<String> args, CliIo io) {
        CommandLine line = CommandLine.parse("probe", args, SPEC);
        MailAddress testRecipient = line.value("to").map(t -> MailAddress.parse(t, "to")).orElse(null);
        if (testRecipient != null && line.value("from").isEmpty()) {
            throw new UsageException("probe --to sends a test message, which needs a sender: add --from");
        }
        RelaySettings settings = RelayOptions.settings(line, io);
        ProbeReport report = RelayClient.probe(settings, testRecipient);
        io.out().print(line.flag("json") ? report.toJson() + "\n" : report.toText());
        return report.passed() ? ExitCode.OK : ExitCode.FAILED;
    }
}
