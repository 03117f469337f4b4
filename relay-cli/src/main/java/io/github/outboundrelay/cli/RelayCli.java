package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.DeliveryLog;
import io.github.outboundrelay.common.InvalidInputException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code relay} command line: {@code probe}, {@code send} and {@code demo}. The Main-Class of relay-cli.jar.
 *
 * <pre>{@code
 * java -jar relay-cli.jar probe --host smtp.example.com --user ci@example.com --password-env RELAY_PASSWORD
 * int exit = RelayCli.run(args, System.in, System.out, System.err, System.getenv());   // in-process, as tests do
 * }</pre>
 *
 * Exit status: 0 passed or sent, 2 usage error or invalid setting, 3 a probe step or the delivery failed,
 * 1 unexpected error.
 */
public final class RelayCli {
    /**
     * The delivery log's logger, held so its level sticks (JUL keeps loggers weakly). The CLI prints the receipt or
     * the failure itself; the same event again on stderr through java.util.logging would only be noise.
     */
    private static final Logger DELIVERY_LOG = Logger.getLogger(DeliveryLog.LOGGER_NAME);

    private RelayCli() {
    }

    public static void main(String[] args) {
        DELIVERY_LOG.setLevel(Level.OFF);
        System.exit(run(args, System.in, System.out, System.err, System.getenv()));
    }

    /**
     * Runs one command. Never throws and never calls {@code System.exit}; every outcome is an exit status.
     *
     * @param env the environment, where {@code --password-env} looks
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        List<String> argv = Arrays.asList(args);
        CliIo io = new CliIo(new StandardInput(in), out, err, Map.copyOf(env));
        try {
            // First, so that nobody learns to type it: it is refused even beside --help.
            if (argv.stream().anyMatch(a -> a.equals("--password") || a.startsWith("--password="))) {
                throw new UsageException(RelayOptions.PASSWORD_REFUSED);
            }
            if (argv.contains("--help") || argv.contains("-h") || (!argv.isEmpty() && argv.get(0).equals("help"))) {
                out.print(Usage.TEXT);
                return ExitCode.OK;
            }
            if (argv.isEmpty()) {
                err.print(Usage.TEXT);
                return ExitCode.USAGE;
            }
            List<String> rest = argv.subList(1, argv.size());
            return switch (argv.get(0)) {
                case "probe" -> ProbeCommand.run(rest, io);
                case "send" -> SendCommand.run(rest, io);
                case "demo" -> DemoCommand.run(rest, io);
                default -> throw new UsageException("unknown command '" + argv.get(0) + "': use probe, send or demo");
            };
        } catch (UsageException e) {
            err.println("relay: " + e.getMessage());
            err.println(Usage.HINT);
            return ExitCode.USAGE;
        } catch (InvalidInputException e) {
            String option = RelayOptions.optionOf(e.field());
            err.println("relay: invalid " + e.field() + (option.equals(e.field()) ? "" : " (" + option + ")") + ": " + e.problem());
            err.println("  fix: " + e.fix());
            return ExitCode.USAGE;
        } catch (UncheckedIOException e) {
            err.println("relay: " + e.getMessage() + ": " + e.getCause().getMessage());
            return ExitCode.UNEXPECTED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("relay: interrupted");
            return ExitCode.UNEXPECTED;
        } catch (RuntimeException e) {
            // A bug: one line for the operator, the type and message for the report.
            err.println("relay: unexpected error, please report it: " + e);
            return ExitCode.UNEXPECTED;
        }
    }
}
