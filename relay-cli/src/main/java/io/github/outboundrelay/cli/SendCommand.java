package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.DeliveryException;
import io.github.outboundrelay.common.OutboundMessage;
import io.github.outboundrelay.common.Receipt;
import io.github.outboundrelay.common.RelayClient;
import io.github.outboundrelay.common.RelaySettings;
import java.util.List;
import java.util.Set;

/**
 * {@code relay send}: one message, body from standard input. Exit 0 when the relay took it (refused recipients are
 * listed in the receipt), 3 when it did not.
 */
public final class SendCommand {
    static final CommandLine.Spec SPEC = RelayOptions.spec(Set.of("subject"), Set.of("to"));

    private SendCommand() {
    }

    static int run(List<String> args, CliIo io) {
        CommandLine line = CommandLine.parse("send", args, SPEC);
        List<String> recipients = line.values("to");
        if (recipients.isEmpty()) {
            throw new UsageException("send needs --to: the recipient address (repeat --to for more)");
        }
        String subject = line.required("subject");
        // Settings first: with --password-stdin the password is the first line, the body the rest.
        RelaySettings settings = RelayOptions.settings(line, io);
        // From on the message as well as in the settings: the generated Message-ID takes its domain from the
        // message's From only, and would otherwise end in @outbound-relay.invalid.
        OutboundMessage message = OutboundMessage.builder()
                .from(settings.from())
                .to(recipients.toArray(String[]::new))
                .subject(subject)
                .text(io.in().readRest())
                .build();
        boolean json = line.flag("json");
        try (RelayClient client = RelayClient.create(settings)) {
            Receipt receipt = client.send(message);
            io.out().print(json ? DeliveryOutput.json(receipt) : DeliveryOutput.text(receipt));
            return ExitCode.OK;
        } catch (DeliveryException e) {
            if (json) {
                io.out().print(DeliveryOutput.json(e));
            } else {
                io.err().print(DeliveryOutput.text(e));
            }
            return ExitCode.FAILED;
        }
    }
}
