package io.github.outboundrelay.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Standard input read as UTF-8 through one reader, so that {@code --password-stdin} can take the first line and
 * {@code send} the rest as the body without either losing what the other buffered.
 */
public final class StandardInput {
    private final BufferedReader reader;

    StandardInput(InputStream in) {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    /** The next line without its line end, or null at the end of input. */
    String readLine() {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read standard input", e);
        }
    }

    /** Everything not read yet. */
    String readRest() {
        try {
            StringBuilder out = new StringBuilder();
            char[] buffer = new char[8192];
            for (int n; (n = reader.read(buffer)) != -1; ) {
                out.append(buffer, 0, n);
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read standard input", e);
        }
    }
}
