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
public final class SpoolTestSupport {
    private SpoolTestSupport() {
    }

    public static OutboundMessage mail(int n) {
        return OutboundMessage.builder().to("user" + n + "@example.com").subject("Mail " + n).text("Body of mail " + n).build();
    }

    /** A mail carrying a password-reset link no other mail has: what must never be found at rest. */
    public static OutboundMessage resetMail(int n, String link) {
        return OutboundMessage.builder().to("user" + n + "@example.com").subject("Reset your password")
                .text("Hello,\n\nreset your password here: " + link + "\n\nThe link expires in 5 minutes.").build();
    }

    /** The dead letter of a mail the relay refused with 550 at {@code at}. */
    public static DeadLetter refused(String id, OutboundMessage message, java.time.Instant submitted, java.time.Instant at) {
        return new DeadLetter(id, message.messageId(), List.of("u***@example.com"), message.subject(), "relay.example.com:587",
                FailureCategory.RECIPIENT_REJECTED, "550 5.1.1 <user@example.com>: Recipient address rejected",
                "The relay refused the recipient: check that it is spelled correctly and exists", DeadLetter.Reason.REJECTED,
                1, submitted, at);
    }

    public static String distinctiveLink() {
        return "https://sso.example.com/realms/acme/login-actions/reset-credentials?key=" + java.util.UUID.randomUUID();
    }

    /** Every regular file under {@code dir}, at any depth, spare and temporary files included. */
    public static List<Path> everyFile(Path dir) throws IOException {
        try (var stream = Files.walk(dir)) {
            return stream.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** The files under {@code dir} whose bytes contain {@code text} (UTF-8), with how often: every byte is read. */
    public static java.util.Map<Path, Integer> filesContaining(Path dir, String text) throws IOException {
        byte[] needle = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.util.Map<Path, Integer> hits = new java.util.TreeMap<>();
        for (Path file : everyFile(dir)) {
            byte[] bytes = Files.readAllBytes(file);
            int count = 0;
            for (int i = 0; i + needle.length <= bytes.length; i++) {
                if (java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                    count++;
                }
            }
            if (count > 0) {
                hits.put(dir.relativize(file), count);
            }
        }
        return hits;
    }

    public static List<Path> files(Path dir) throws IOException {
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
    public static AutoCloseable makeUnwritable(Path... dirs) throws Exception {
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
