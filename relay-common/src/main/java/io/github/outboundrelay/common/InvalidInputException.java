package io.github.outboundrelay.common;

/**
 * A setting or a message field that cannot be used, with the field's name and what to do about it.
 * Thrown before anything is sent or queued, so nothing already queued is affected.
 *
 * <pre>{@code
 * try { settings = RelaySettings.builder().host("").build(); }
 * catch (InvalidInputException e) { form.error(e.field(), e.getMessage()); }
 * }</pre>
 */
public final class InvalidInputException extends IllegalArgumentException {
    private final String field;
    private final String problem;
    private final String fix;

    public InvalidInputException(String field, String problem, String fix) {
        super(field + ": " + problem + ". " + fix);
        this.field = field;
        this.problem = problem;
        this.fix = fix;
    }

    /** The name of the offending field, as the settings builder or message builder names it. */
    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    public String fix() {
        return fix;
    }
}
