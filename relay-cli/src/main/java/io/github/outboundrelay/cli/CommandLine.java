package io.github.outboundrelay.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options of one command as typed: {@code --name value}, {@code --name=value} and {@code --flag}. Knows nothing
 * about relays; {@link RelayOptions} turns the values into settings.
 */
public final class CommandLine {
    /** Which options a command accepts. */
    record Spec(Set<String> valued, Set<String> flags, Set<String> repeatable) {
        Spec {
            valued = Set.copyOf(valued);
            flags = Set.copyOf(flags);
            repeatable = Set.copyOf(repeatable);
        }
    }

    private final String command;
    private final Map<String, List<String>> values;
    private final Set<String> flags;

    private CommandLine(String command, Map<String, List<String>> values, Set<String> flags) {
        this.command = command;
        this.values = values;
        this.flags = flags;
    }

    /** @throws UsageException for an unknown option, a missing or doubled value, or a stray argument */
    static CommandLine parse(String command, List<String> args, Spec spec) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        Set<String> flags = new HashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "': " + command + " takes only --options"
                        + (command.equals("send") ? " (the message body is read from standard input)" : ""));
            }
            int eq = arg.indexOf('=');
            String name = arg.substring(2, eq < 0 ? arg.length() : eq);
            String inline = eq < 0 ? null : arg.substring(eq + 1);
            if (spec.flags().contains(name)) {
                if (inline != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                flags.add(name);
            } else if (spec.valued().contains(name)) {
                String value = inline;
                if (value == null) {
                    // A following option is a forgotten value, not the value: "--host --port 587".
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                List<String> list = values.computeIfAbsent(name, n -> new ArrayList<>());
                if (!list.isEmpty() && !spec.repeatable().contains(name)) {
                    throw new UsageException("--" + name + " is given more than once");
                }
                list.add(value);
            } else {
                throw new UsageException("unknown option --" + name + " for " + command);
            }
        }
        return new CommandLine(command, values, flags);
    }

    String command() {
        return command;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    Optional<String> value(String name) {
        List<String> list = values.get(name);
        return list == null ? Optional.empty() : Optional.of(list.get(0));
    }

    /** @throws UsageException naming the option when it is absent */
    String required(String name) {
        return value(name).orElseThrow(() -> new UsageException(command + " needs --" + name));
    }

    List<String> values(String name) {
        return List.copyOf(values.getOrDefault(name, List.of()));
    }
}
