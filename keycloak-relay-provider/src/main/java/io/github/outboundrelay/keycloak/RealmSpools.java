package io.github.outboundrelay.keycloak;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where each realm's durable queue lives: {@code <spool-dir>/<realm id>}, one directory per realm, so that a realm's
 * next relay (after a settings change or a restart) finds what the previous one left. Realm ids are UUIDs unless a
 * realm was imported with its own id: anything other than letters, digits, {@code -} and {@code _} is written as
 * {@code %XX}, so an id can never reach outside the spool directory and each directory name maps back to its realm.
 */
final class RealmSpools {
    private RealmSpools() {
    }

    static Path directory(Path spoolRoot, String realmId) {
        return spoolRoot.resolve(encode(realmId));
    }

    /** The realm id of every directory under {@code spoolRoot}, with the directory; empty when there is none. */
    static Map<String, Path> existing(Path spoolRoot) {
        Map<String, Path> found = new LinkedHashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(spoolRoot, Files::isDirectory)) {
            for (Path dir : dirs) {
                String realmId = decode(dir.getFileName().toString());
                if (realmId != null) {
                    found.put(realmId, dir);
                }
            }
        } catch (NoSuchFileException e) {
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** Deletes a realm's spool directory and everything in it. */
    static void delete(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static String encode(String realmId) {
        if (realmId.isEmpty()) {
            return "%";
        }
        StringBuilder name = new StringBuilder();
        for (byte b : realmId.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_')) {
                name.append(c);
            } else {
                name.append('%').append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
        }
        return name.toString();
    }

    /** The realm id a directory name stands for, or null when it is not one {@link #encode} writes. */
    static String decode(String name) {
        if (name.equals("%")) {
            return "";
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    return null;
                }
                int high = Character.digit(name.charAt(i + 1), 16);
                int low = Character.digit(name.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else if (c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_')) {
                bytes.write(c);
            } else {
                return null;
            }
        }
        String id = bytes.toString(StandardCharsets.UTF_8);
        return encode(id).equals(name) ? id : null;
    }
}
