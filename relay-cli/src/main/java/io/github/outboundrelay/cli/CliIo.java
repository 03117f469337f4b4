package io.github.outboundrelay.cli;

import java.io.PrintStream;
import java.util.Map;

/**
 * What a command may touch of the outside world: passed in, so that tests run commands in-process with their own
 * streams and environment.
 */
public record CliIo(StandardInput in, PrintStream out, PrintStream err, Map<String, String> env) {
}
