package io.github.outboundrelay.common.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds where Java source reaches into relay-common's internal packages: any use of
 * {@code io.github.outboundrelay.common.<sub-package>.} other than the storage SPI ({@code common.spool}), whether
 * in an import (plain, static or wildcard) or written out in the code. Comments are ignored, so a javadoc may still
 * name an internal class. Class names start upper case, so the first lower-case segment after {@code common.} is a
 * sub-package. (docs/architecture.md, "Packages of relay-common")
 */
final class InternalPackageScanner {
    static final Set<String> ALLOWED_SUB_PACKAGES = Set.of("spool");

    private static final Pattern INTERNAL_USE = Pattern.compile("\\bio\\.github\\.outboundrelay\\.common\\.([a-z_][a-z0-9_]*)\\b");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** One use of an internal package: where, and which package. */
    record Violation(String file, int line, String internalPackage) {
        @Override
        public String toString() {
            return file + ":" + line + " uses io.github.outboundrelay.common." + internalPackage;
        }
    }

    private InternalPackageScanner() {
    }

    /** Every use of an internal package in one source text. */
    static List<Violation> scan(String file, String source) {
        String code = blankComments(source);
        List<Violation> found = new ArrayList<>();
        Matcher m = INTERNAL_USE.matcher(code);
        while (m.find()) {
            if (!ALLOWED_SUB_PACKAGES.contains(m.group(1))) {
                found.add(new Violation(file, lineOf(code, m.start()), m.group(1)));
            }
        }
        return found;
    }

    /** Every use of an internal package in the {@code .java} files under {@code root}. */
    static List<Violation> scanTree(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root.toAbsolutePath() + " is not a source directory");
        }
        List<Violation> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                found.addAll(scan(root.relativize(file).toString(), Files.readString(file)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** Replaces comments by spaces, keeping line breaks so that line numbers stay right. */
    private static String blankComments(String source) {
        Matcher m = COMMENT.matcher(source);
        StringBuilder out = new StringBuilder(source.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replaceAll("[^\\n]", " ")));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
