package io.github.outboundrelay.jenkins;

import io.github.outboundrelay.common.InvalidInputException;

/**
 * A whole-number field of the settings page with its range: one rule for the field's live check and for saving.
 *
 * @param field   the form field's name
 * @param min     the smallest value allowed
 * @param max     the largest value allowed
 * @param meaning what the number counts, as the error message says it
 */
record WholeNumber(String field, int min, int max, String meaning) {

    /** @throws InvalidInputException naming the field when the value is out of range */
    void check(int value) {
        if (value < min || value > max) {
            throw new InvalidInputException(field, value + " is outside " + min + ".." + max,
                    "Give " + meaning + ", from " + min + " to " + max);
        }
    }

    /** The text of the form's field, checked. */
    int parse(String text) {
        if (RelayForm.blank(text)) {
            throw new InvalidInputException(field, "is empty", "Give " + meaning + ", from " + min + " to " + max);
        }
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(field, "'" + text + "' is not a whole number", "Give " + meaning + ", from " + min + " to " + max);
        }
        check(value);
        return value;
    }
}
