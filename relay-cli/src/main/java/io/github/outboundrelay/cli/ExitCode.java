package io.github.outboundrelay.cli;

/** The exit statuses of {@code relay}, documented in docs/relay-common.md; scripts depend on them. */
public final class ExitCode {
    /** Every probe step passed, or the mail was sent. */
    static final int OK = 0;
    /** Something this program did not expect: a bug, or standard input that cannot be read. */
    static final int UNEXPECTED = 1;
    /** The command line or a setting is wrong: nothing was sent. */
    static final int USAGE = 2;
    /** The relay was reached (or tried) and a step failed: the output names the category and the remedy. */
    static final int FAILED = 3;

    private ExitCode() {
    }
}
