package io.github.outboundrelay.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Helpers the spool and queue tests share. */
final class SpoolTestSupport {
    private SpoolTestSupport() {
    }

    static OutboundMessage mail(int n) {
        return OutboundMessage.builder().to("user" + n + "@example.com").subject("Mail " + n).text("Body of mail " + n).build();
    }

    static List<Path> files(Path dir) throws IOException {
        List<Path> list = new ArrayList<>();
        try (var stream = Files.list(dir)) {
            stream.sorted().forEach(list::add);
        }
        return list;
    }

    /**
     * Makes directories unwritable for real: read-only permissions, or, for root (which ignores permissions), the
     * ext4 immutable attribute. Returns what undoes it. Aborts the test only where neither exists.
     */
    static AutoCloseable makeUnwritable(Path... dirs) throws Exception {
        for (Path d : dirs) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        if (!canWrite(dirs[0])) {
            return () -> {
                for (Path d : dirs) {
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            };
        }
        for (Path d : dirs) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> command = new ArrayList<>(List.of("chattr", "+i"));
        dirs_toStrings(dirs, command);
        boolean immutable = run(command) && !canWrite(dirs[0]);
        Assumptions.assumeTrue(immutable, "neither permissions nor chattr +i make a directory read-only here");
        return () -> {
            List<String> undo = new ArrayList<>(List.of("chattr", "-i"));
            dirs_toStrings(dirs, undo);
            run(undo);
        };
    }

    private static void dirs_toStrings(Path[] dirs, List<String> command) {
        for (Path d : dirs) {
            command.add(d.toString());
        }
    }

    private static boolean canWrite(Path dir) {
        Path probe = dir.resolve("probe-" + System.nanoTime());
        try {
            Files.createFile(probe);
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
