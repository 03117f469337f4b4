package io.github.outboundrelay.cli;

import io.github.outboundrelay.common.Authentication;
import io.github.outboundrelay.common.MailAddress;
import io.github.outboundrelay.common.RelaySettings;
import io.github.outboundrelay.common.Secret;
import io.github.outboundrelay.common.Timeouts;
import io.github.outboundrelay.common.TlsMode;
import io.github.outboundrelay.common.TrustSettings;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The options {@code probe} and {@code send} share, turned into {@link RelaySettings} in one place. The password
 * comes from an environment variable or standard input, never from the command line.
 */
public final class RelayOptions {
    static final Set<String> VALUED = Set.of("host", "port", "tls", "user", "password-env", "from", "to", "trust-pem",
            "pin", "connect-timeout", "read-timeout", "write-timeout");
    static final Set<String> FLAGS = Set.of("password-stdin", "json");

    /** Refused before anything else is parsed, with the reason, so that nobody gets used to typing it. */
    static final String PASSWORD_REFUSED = "--password is refused: a password on the command line is visible to every "
            + "user of this machine in the process list (ps) and stays in the shell history. Use --password-env VAR to "
            + "read it from the environment variable VAR, or --password-stdin to read it from the first line of "
            + "standard input.";

    /** Settings field names, as {@link io.github.outboundrelay.common.InvalidInputException} reports them, to options. */
    private static final Map<String, String> OPTION_OF_FIELD = Map.ofEntries(
            Map.entry("host", "--host"),
            Map.entry("port", "--port"),
            Map.entry("tlsMode", "--tls"),
            Map.entry("username", "--user"),
            Map.entry("password", "--password-env or --password-stdin"),
            Map.entry("from", "--from"),
            Map.entry("to", "--to"),
            Map.entry("subject", "--subject"),
            Map.entry("trustPem", "--trust-pem"),
            Map.entry("certificatePin", "--pin"),
            Map.entry("connectTimeout", "--connect-timeout"),
            Map.entry("readTimeout", "--read-timeout"),
            Map.entry("writeTimeout", "--write-timeout"));

    private RelayOptions() {
    }

    /** The spec of a command taking the relay options plus its own. */
    static CommandLine.Spec spec(Set<String> moreValued, Set<String> repeatable) {
        Set<String> valued = new HashSet<>(VALUED);
        valued.addAll(moreValued);
        Set<String> repeat = new HashSet<>(repeatable);
        repeat.add("pin");
        return new CommandLine.Spec(valued, FLAGS, repeat);
    }

    /** The option a settings field came from, for error messages; the field name itself when there is none. */
    static String optionOf(String field) {
        String base = field.replaceAll("\\[\\d+]$", "");
        return OPTION_OF_FIELD.getOrDefault(base, field);
    }

    /**
     * Builds the settings. Reads the password line from standard input when {@code --password-stdin} is given.
     *
     * @throws UsageException                                         when options are missing or contradict each other
     * @throws io.github.outboundrelay.common.InvalidInputException when a value fails the settings' validation
     */
    static RelaySettings settings(CommandLine line, CliIo io) {
        RelaySettings.Builder builder = RelaySettings.builder()
                .host(line.required("host"))
                .tlsMode(TlsMode.parse(line.value("tls").orElse("starttls")))
                .authentication(authentication(line, io))
                .timeouts(timeouts(line))
                .trust(trust(line));
        line.value("port").ifPresent(p -> builder.port(number("port", p)));
        line.value("from").ifPresent(f -> builder.from(MailAddress.parse(f, "from")));
        return builder.build();
    }

    private static Authentication authentication(CommandLine line, CliIo io) {
        boolean fromEnv = line.value("password-env").isPresent();
        boolean fromStdin = line.flag("password-stdin");
        if (fromEnv && fromStdin) {
            throw new UsageException("give either --password-env or --password-stdin, not both");
        }
        if (line.value("user").isEmpty()) {
            if (fromEnv || fromStdin) {
                throw new UsageException("a password needs --user: give the user name the relay expects");
            }
            return Authentication.NONE;
        }
        if (!fromEnv && !fromStdin) {
            throw new UsageException("--user needs a password: --password-env VAR (e.g. RELAY_PASSWORD) or --password-stdin");
        }
        return Authentication.password(line.required("user"), Secret.of(fromEnv ? fromEnvironment(line, io) : fromStdin(io)));
    }

    private static String fromEnvironment(CommandLine line, CliIo io) {
        String variable = line.required("password-env");
        String value = io.env().get(variable);
        if (value == null) {
            throw new UsageException("--password-env " + variable + ": the environment variable " + variable
                    + " is not set; export it first, or use --password-stdin");
        }
        if (value.isEmpty()) {
            throw new UsageException("--password-env " + variable + ": the environment variable " + variable + " is empty");
        }
        return value;
    }

    private static String fromStdin(CliIo io) {
        String value = io.in().readLine();
        if (value == null || value.isEmpty()) {
            throw new UsageException("--password-stdin: the first line of standard input is empty; pipe the password in, "
                    + "for example: relay probe ... --password-stdin < password-file");
        }
        return value;
    }

    private static Timeouts timeouts(CommandLine line) {
        Timeouts d = Timeouts.DEFAULT;
        return new Timeouts(millis(line, "connect-timeout", d.connect()), millis(line, "read-timeout", d.read()),
                millis(line, "write-timeout", d.write()));
    }

    private static Duration millis(CommandLine line, String option, Duration fallback) {
        return line.value(option).map(v -> Duration.ofMillis(number(option, v))).orElse(fallback);
    }

    private static TrustSettings trust(CommandLine line) {
        TrustSettings trust = line.value("trust-pem").map(RelayOptions::readPem).map(TrustSettings::pem)
                .orElseGet(TrustSettings::jvmDefault);
        return trust.withPins(line.values("pin"));
    }

    private static String readPem(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException("--trust-pem " + file + ": no such file");
        } catch (MalformedInputException e) {
            throw new UsageException("--trust-pem " + file + ": not a PEM text file (a binary DER certificate? convert it "
                    + "with: openssl x509 -inform der -in " + file + " -out ca.pem)");
        } catch (IOException | InvalidPathException e) {
            throw new UsageException("--trust-pem " + file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static int number(String option, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + option + " '" + text + "' is not a whole number");
        }
    }
}
